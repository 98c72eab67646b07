package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestQuotaCommands: strom quota alter / describe against a real broker,
// text and JSON output, a dry run and a broker-side validation error.
func TestQuotaCommands(t *testing.T) {
	b := startBroker(t)
	got := mustRun(t, "", "quota", "alter", "--client-id", "slow", "--set", "producer_byte_rate=1048576",
		"--set", "consumer_byte_rate=2048", "-b", b)
	if want := "ENTITY          STATUS\nclient-id=slow  OK\n"; got != want {
		t.Errorf("alter output:\n%s\nwant:\n%s", got, want)
	}
	mustRun(t, "", "quota", "alter", "--user", "alice", "--default-client-id", "--set", "request_percentage=12.5", "-b", b)
	mustRun(t, "", "quota", "alter", "--client-id", "slow", "--delete", "consumer_byte_rate", "-b", b)
	mustRun(t, "", "quota", "alter", "--default-user", "--set", "producer_byte_rate=1", "--dry-run", "-b", b)

	got = mustRun(t, "", "quota", "describe", "-b", b)
	want := "ENTITY                           QUOTA               VALUE\n" +
		"user=alice, client-id=<default>  request_percentage  12.5\n" +
		"client-id=slow                   producer_byte_rate  1048576\n"
	if got != want {
		t.Errorf("describe output:\n%s\nwant:\n%s", got, want)
	}
	var rows []describedRow
	if err := json.Unmarshal([]byte(mustRun(t, "", "quota", "describe", "--default-client-id", "-o", "json", "-b", b)), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].User == nil || *rows[0].User != "alice" || rows[0].ClientID == nil || *rows[0].ClientID != "" ||
		rows[0].Quotas["request_percentage"] != 12.5 {
		t.Errorf("describe --default-client-id: %+v", rows)
	}

	out, err := run(t, "", "quota", "alter", "--client-id", "slow", "--set", "producer_byte_rate=1.5", "-b", b)
	if err == nil || !strings.Contains(out+err.Error(), "producer_byte_rate cannot be a fractional value.") {
		t.Errorf("fractional rate: err %v, output %q", err, out)
	}
	if _, err := run(t, "", "quota", "alter", "--set", "producer_byte_rate=1", "-b", b); err == nil {
		t.Error("alter without an entity succeeded")
	}
}

type describedRow struct {
	User     *string            `json:"user"`
	ClientID *string            `json:"client_id"`
	Quotas   map[string]float64 `json:"quotas"`
}
