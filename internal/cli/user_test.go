package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestUserCommands: strom user create / update / list / delete against a
// real broker, and the refusals that keep a typo from adding or replacing
// a user.
func TestUserCommands(t *testing.T) {
	b := startBroker(t)
	got := mustRun(t, "", "user", "create", "alice", "--password", "alice-secret", "-b", b)
	if want := "USER   STATUS\nalice  created (SCRAM-SHA-256)\n"; got != want {
		t.Errorf("create output:\n%s\nwant:\n%s", got, want)
	}
	mustRun(t, "bob-secret\n", "user", "create", "bob", "--password-stdin", "--mechanism", "both", "--iterations", "8192", "-b", b)
	if _, err := run(t, "", "user", "create", "alice", "--password", "again", "-b", b); err == nil ||
		!strings.Contains(err.Error(), "already has a SCRAM-SHA-256 credential") {
		t.Errorf("creating alice twice: %v", err)
	}
	if _, err := run(t, "", "user", "update", "carol", "--password", "x", "-b", b); err == nil ||
		!strings.Contains(err.Error(), "has no SCRAM-SHA-256 credential") {
		t.Errorf("updating a missing user: %v", err)
	}
	mustRun(t, "", "user", "update", "alice", "--password", "new-secret", "--iterations", "16384", "-b", b)
	if _, err := run(t, "", "user", "create", "dave", "--password", "x", "--iterations", "100", "-b", b); err == nil {
		t.Error("100 iterations accepted")
	}

	got = mustRun(t, "", "user", "list", "-b", b)
	want := "USER   MECHANISM      ITERATIONS\n" +
		"alice  SCRAM-SHA-256  16384\n" +
		"bob    SCRAM-SHA-256  8192\n" +
		"bob    SCRAM-SHA-512  8192\n"
	if got != want {
		t.Errorf("list output:\n%s\nwant:\n%s", got, want)
	}
	mustRun(t, "", "user", "delete", "bob", "--mechanism", "SCRAM-SHA-256", "-b", b)
	var rows []struct {
		User, Mechanism string
		Iterations      int32
	}
	if err := json.Unmarshal([]byte(mustRun(t, "", "user", "list", "bob", "carol", "-o", "json", "-b", b)), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].User != "bob" || rows[0].Mechanism != "SCRAM-SHA-512" {
		t.Errorf("bob after deleting SHA-256: %+v", rows)
	}
	if _, err := run(t, "", "user", "delete", "carol", "-b", b); err == nil {
		t.Error("deleting a missing user succeeded")
	}
}
