package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestACLCommands: strom acl create / list / delete against a broker with
// the authorizer on (reached over PLAINTEXT as a super user).
func TestACLCommands(t *testing.T) {
	b := startBrokerWith(t, "PLAINTEXT",
		"authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer", "super.users=User:ANONYMOUS")
	got := mustRun(t, "", "acl", "create", "--allow-principal", "User:alice", "--operation", "read", "--operation", "describe",
		"--topic", "orders", "-b", b)
	want := "PRINCIPAL   HOST  RESOURCE-TYPE  RESOURCE  PATTERN  OPERATION  PERMISSION  STATUS\n" +
		"User:alice  *     TOPIC          orders    LITERAL  READ       ALLOW       OK\n" +
		"User:alice  *     TOPIC          orders    LITERAL  DESCRIBE   ALLOW       OK\n"
	if got != want {
		t.Errorf("create output:\n%s\nwant:\n%s", got, want)
	}
	mustRun(t, "", "acl", "create", "--deny-principal", "User:*", "--operation", "write", "--topic", "ord",
		"--resource-pattern-type", "prefixed", "-b", b)
	mustRun(t, "", "acl", "create", "--allow-principal", "User:bob", "--operation", "read", "--group", "g", "-b", b)

	var rows []struct{ Principal, Resource, Pattern, Operation, Permission string }
	if err := json.Unmarshal([]byte(mustRun(t, "", "acl", "list", "--topic", "orders-eu", "--resource-pattern-type", "match",
		"-o", "json", "-b", b)), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Pattern != "PREFIXED" || rows[0].Permission != "DENY" {
		t.Errorf("ACLs that apply to orders-eu: %+v", rows)
	}
	if got := mustRun(t, "", "acl", "list", "-b", b); strings.Count(got, "\n") != 5 {
		t.Errorf("all ACLs:\n%s", got)
	}
	got = mustRun(t, "", "acl", "delete", "--allow-principal", "User:alice", "--topic", "orders", "-b", b)
	if strings.Count(got, "User:alice") != 2 {
		t.Errorf("deleted:\n%s", got)
	}
	if got := mustRun(t, "", "acl", "list", "-b", b); strings.Contains(got, "User:alice") {
		t.Errorf("alice's ACLs left:\n%s", got)
	}
	if _, err := run(t, "", "acl", "create", "--allow-principal", "alice", "--operation", "read", "--topic", "t", "-b", b); err == nil {
		t.Error("a principal without a type was accepted")
	}
	if _, err := run(t, "", "acl", "delete", "-b", b); err == nil {
		t.Error("delete without filters succeeded")
	}
	if _, err := run(t, "", "acl", "create", "--allow-principal", "User:a", "--operation", "fly", "--topic", "t", "-b", b); err == nil ||
		!strings.Contains(err.Error(), "unknown --operation") {
		t.Errorf("unknown operation: %v", err)
	}
}
