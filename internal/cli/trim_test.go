package cli

import (
	"strings"
	"testing"
)

func TestTopicTrim(t *testing.T) {
	b := startBroker(t)
	mustRun(t, "", "topic", "create", "logs", "-p", "2", "-b", b)
	mustRun(t, strings.Repeat("x\n", 20), "produce", "logs", "-p", "0", "-b", b)

	plan := mustRun(t, "", "topic", "trim", "logs", "--offset", "5", "--partitions", "0", "-b", b)
	if !strings.Contains(plan, "logs 0: log start offset 0, would move to 5") || !strings.Contains(plan, "dry run") {
		t.Fatalf("dry run:\n%s", plan)
	}
	got := mustRun(t, "", "topic", "trim", "logs", "--offset", "5", "--partitions", "0", "--yes", "-b", b)
	if got != "logs 0: log start offset 0 → 5\n" {
		t.Fatalf("trim:\n%q", got)
	}
	out, err := run(t, "", "topic", "trim", "logs", "--offset", "50", "--yes", "-b", b)
	if err == nil || !strings.Contains(out, "logs 0: ") || !strings.Contains(out, "OFFSET_OUT_OF_RANGE") {
		t.Fatalf("trim beyond the high watermark: err %v\n%s", err, out)
	}
	if _, err := run(t, "", "topic", "trim", "logs", "-b", b); err == nil {
		t.Fatal("trim without --offset or --before-time succeeded")
	}
	got = mustRun(t, "", "topic", "trim", "logs", "--before-time", "2999-01-01T00:00:00Z", "--yes", "-b", b)
	if !strings.Contains(got, "logs 0: log start offset 5 → 20") || !strings.Contains(got, "logs 1: log start offset 0 → 0") {
		t.Fatalf("trim --before-time in the future (everything):\n%s", got)
	}
}
