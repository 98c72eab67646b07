package auth

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"testing"

	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/strom-project/strom/internal/metadata"
)

// TestParseScramSpec: both of Kafka's --add-scram forms make a credential
// franz-go's SCRAM client authenticates against.
func TestParseScramSpec(t *testing.T) {
	r, err := ParseScramSpec(`SCRAM-SHA-512=[name=alice,password="alice-secret",iterations=8192]`)
	if err != nil || r.Name != "alice" || r.Mechanism != metadata.ScramSHA512 || r.Iterations != 8192 {
		t.Fatalf("%+v, %v", r, err)
	}
	m, err := NewScram("SCRAM-SHA-512", func(u string) (metadata.ScramCredential, bool) {
		return metadata.ScramCredential{Salt: r.Salt, StoredKey: r.StoredKey, ServerKey: r.ServerKey, Iterations: r.Iterations}, u == "alice"
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := exchange(t, scram.Auth{User: "alice", Pass: "alice-secret"}.AsSha512Mechanism(), m.NewSession()); err != nil {
		t.Fatalf("authenticating with the parsed credential: %v", err)
	}
	// The salted-password form gives the same keys as the password form.
	withSalt, err := ParseScramSpec(`SCRAM-SHA-256=[name=bob,password=pw,salt="c2FsdA=="]`)
	if err != nil {
		t.Fatal(err)
	}
	salted, err := pbkdf2.Key(sha256.New, "pw", []byte("salt"), 4096, sha256.Size)
	if err != nil {
		t.Fatal(err)
	}
	fromSalted, err := ParseScramSpec(`SCRAM-SHA-256=[name=bob,salt="c2FsdA==",saltedpassword="` + base64.StdEncoding.EncodeToString(salted) + `"]`)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fromSalted.StoredKey, withSalt.StoredKey) || !bytes.Equal(fromSalted.ServerKey, withSalt.ServerKey) {
		t.Fatal("the salted-password form and the password form disagree")
	}
	for _, bad := range []string{
		`SCRAM-SHA-1=[name=a,password=b]`, `SCRAM-SHA-256=[password=b]`, `SCRAM-SHA-256=[name=a]`,
		`SCRAM-SHA-256=[name=a,password=b,iterations=10]`, `SCRAM-SHA-256=name=a,password=b`,
		`SCRAM-SHA-256=[name=a,password=b,color=red]`, `SCRAM-SHA-256=[name=a,name=b,password=c]`,
		`SCRAM-SHA-256=[name=a,salt="!!",saltedpassword="c2FsdA=="]`,
	} {
		if _, err := ParseScramSpec(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
