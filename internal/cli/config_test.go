package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestConfigCommands: topic alter-config and cluster config get/set against
// a real broker, with their text and JSON output and one-line errors.
func TestConfigCommands(t *testing.T) {
	b := startBroker(t)
	mustRun(t, "", "topic", "create", "cfg", "-b", b)

	got := mustRun(t, "", "topic", "alter-config", "cfg", "--set", "retention.ms=60000", "--append", "cleanup.policy=compact", "-b", b)
	if want := "TOPIC  STATUS\ncfg    OK\n"; got != want {
		t.Errorf("alter-config output:\n%s\nwant:\n%s", got, want)
	}
	mustRun(t, "", "topic", "alter-config", "cfg", "--set", "segment.ms=1000", "--dry-run", "-b", b)
	var described []struct {
		Configs []struct{ Name, Value, Source string } `json:"configs"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "", "topic", "describe", "cfg", "-o", "json", "-b", b)), &described); err != nil {
		t.Fatal(err)
	}
	set := map[string]string{}
	for _, c := range described[0].Configs {
		set[c.Name] = c.Value
	}
	if set["retention.ms"] != "60000" || set["cleanup.policy"] != "delete,compact" || set["segment.ms"] != "" {
		t.Errorf("topic configs after alter-config (and a dry run of segment.ms): %v", set)
	}

	out, err := run(t, "", "topic", "alter-config", "cfg", "--set", "retention.mss=1", "-b", b)
	if err == nil || !strings.Contains(out, "INVALID_CONFIG: Unknown topic config name: retention.mss") {
		t.Errorf("unknown config: err %v, output %q", err, out)
	}
	if _, err := run(t, "", "topic", "alter-config", "cfg", "-b", b); err == nil || !strings.Contains(err.Error(), "nothing to change") {
		t.Errorf("no change given: %v", err)
	}

	got = mustRun(t, "", "cluster", "config", "set", "log.retention.ms=3600000", "-b", b)
	if want := "CONFIG           STATUS\ncluster default  OK\n"; got != want {
		t.Errorf("cluster config set output:\n%s\nwant:\n%s", got, want)
	}
	got = mustRun(t, "", "cluster", "config", "get", "-b", b)
	if want := "CONFIG            VALUE    SOURCE\nlog.retention.ms  3600000  DYNAMIC_DEFAULT_BROKER_CONFIG\n"; got != want {
		t.Errorf("cluster config get output:\n%s\nwant:\n%s", got, want)
	}
	mustRun(t, "", "cluster", "config", "set", "log.retention.ms=7200000", "--broker", "1", "-b", b)
	var rows []struct {
		Name   string  `json:"name"`
		Value  *string `json:"value"`
		Source string  `json:"source"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "", "cluster", "config", "get", "--broker", "1", "log.retention.ms", "node.id", "-o", "json", "-b", b)), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Name != "log.retention.ms" || *rows[0].Value != "7200000" || rows[0].Source != "DYNAMIC_BROKER_CONFIG" ||
		rows[1].Name != "node.id" || rows[1].Source != "DEFAULT_CONFIG" {
		t.Errorf("broker 1 configs: %+v", rows)
	}

	out, err = run(t, "", "cluster", "config", "set", "node.id=3", "-b", b)
	if err == nil || !strings.Contains(out, "INVALID_CONFIG: Cannot update these configs dynamically: [node.id]") {
		t.Errorf("read-only config: err %v, output %q", err, out)
	}
	mustRun(t, "", "cluster", "config", "set", "--delete", "log.retention.ms", "-b", b)
	if got := mustRun(t, "", "cluster", "config", "get", "-b", b); got != "CONFIG  VALUE  SOURCE\n" {
		t.Errorf("after --delete the cluster default lists:\n%s", got)
	}
}
