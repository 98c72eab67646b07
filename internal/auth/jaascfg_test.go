package auth

import "testing"

func TestParseJAAS(t *testing.T) {
	j, err := ParseJAAS(`org.apache.kafka.common.security.plain.PlainLoginModule required
		username="admin" password="admin-secret"
		user_admin="admin-secret" user_alice="al\"ice" plain=word;`)
	if err != nil {
		t.Fatal(err)
	}
	if j.Flag != "required" || j.Options["username"] != "admin" || j.Options["plain"] != "word" {
		t.Fatalf("parsed %+v", j)
	}
	users, err := PlainUsersFromJAAS(j)
	if err != nil || len(users) != 2 || users["alice"] != `al"ice` || users["admin"] != "admin-secret" {
		t.Fatalf("users %v, %v", users, err)
	}
	for _, bad := range []string{
		``, `m`, `m required`, `m maybe;`, `m required k="v;`, `m required k;`, `m required; n required;`,
	} {
		if _, err := ParseJAAS(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	j, _ = ParseJAAS(`org.apache.kafka.common.security.scram.ScramLoginModule required;`)
	if _, err := PlainUsersFromJAAS(j); err == nil {
		t.Error("PLAIN users from a SCRAM login module")
	}
}
