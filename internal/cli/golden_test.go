package cli

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

// golden compares got with testdata/golden/name.txt; with -update it
// rewrites the file instead.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".txt")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (create it with: go test ./internal/cli -run %s -update)", err, t.Name())
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("strom output for %s changed (-want +got); if intended: go test ./internal/cli -run %s -update\n%s", name, t.Name(), diff)
	}
}

// unstable masks what differs between runs: topic ids, ports.
var unstable = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`ID [A-Za-z0-9_-]{22}`), "ID <topic-id>"},
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:<port>"},
}

func mask(s string) string {
	for _, u := range unstable {
		s = u.re.ReplaceAllString(s, u.with)
	}
	return s
}

// TestGoldenOutputs pins the text output of commands whose output is
// stable, so a change to what operators read is a reviewed change.
func TestGoldenOutputs(t *testing.T) {
	b := startBroker(t)
	mustRun(t, "", "topic", "create", "orders", "-p", "3", "-c", "retention.ms=86400000", "-c", "cleanup.policy=compact,delete", "-b", b)
	mustRun(t, "", "quota", "alter", "--client-id", "slow", "--set", "producer_byte_rate=1048576", "-b", b)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"topic-list", []string{"topic", "list"}},
		{"topic-describe", []string{"topic", "describe", "orders"}},
		{"cluster-config-get", []string{"cluster", "config", "get", "--broker", "1", "log.retention.ms", "min.insync.replicas", "log.cleaner.threads"}},
		{"quota-describe", []string{"quota", "describe"}},
		{"topic-reassignments", []string{"topic", "reassignments"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, tc.name, mask(mustRun(t, "", append(tc.args, "-b", b)...)))
		})
	}
	// Help text is what people read first; it changes only on purpose.
	for _, cmd := range []string{"topic", "group", "cluster"} {
		t.Run("help-"+cmd, func(t *testing.T) {
			golden(t, "help-"+cmd, mustRun(t, "", cmd, "--help"))
		})
	}
}
