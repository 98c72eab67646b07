package auth

import (
	"testing"

	"github.com/strom-project/strom/internal/metadata"
)

// The decoders of untrusted or operator input never panic.

func FuzzParseJAAS(f *testing.F) {
	f.Add(`org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="a\"b" user_alice="x";`)
	f.Add(`m optional;`)
	f.Add(`m required k=v k2="unterminated`)
	f.Fuzz(func(t *testing.T, s string) {
		if j, err := ParseJAAS(s); err == nil {
			PlainUsersFromJAAS(j)
		}
	})
}

func FuzzPrincipalRules(f *testing.F) {
	f.Add(`RULE:^CN=(.*?),OU=(.*?)$/$1@$2/L, DEFAULT`, "CN=a,OU=b")
	f.Add(`RULE:a\/b/c/U`, "a/b")
	f.Fuzz(func(t *testing.T, rules, dn string) {
		if r, err := ParsePrincipalRules(rules); err == nil {
			r.Map(dn)
		}
	})
}

// FuzzSASLMessages feeds arbitrary client messages to both mechanisms,
// first and second steps; a garbage message must fail, never authenticate.
func FuzzSASLMessages(f *testing.F) {
	f.Add([]byte("\x00alice\x00alice-secret"), []byte("c=biws,r=x,p=AAAA"))
	f.Add([]byte("n,,n=alice,r=abc"), []byte("c=biws,r=abc,p=dGVzdA=="))
	cred, err := ScramCredential("SCRAM-SHA-256", "alice-secret", []byte("salt"), 4096)
	if err != nil {
		f.Fatal(err)
	}
	sc, err := NewScram("SCRAM-SHA-256", func(string) (metadata.ScramCredential, bool) { return cred, true })
	if err != nil {
		f.Fatal(err)
	}
	pl := NewPlain(map[string]string{"alice": "alice-secret"})
	f.Fuzz(func(t *testing.T, first, second []byte) {
		s := sc.NewSession()
		if _, done, err := s.Step(first); err == nil && !done {
			if _, done, err := s.Step(second); err == nil && done {
				t.Fatalf("random SCRAM messages authenticated: %q %q", first, second)
			}
		}
		if _, done, err := pl.NewSession().Step(first); err == nil && done && string(first) != "\x00alice\x00alice-secret" &&
			string(first) != "alice\x00alice\x00alice-secret" {
			t.Fatalf("PLAIN accepted %q", first)
		}
	})
}

func FuzzParseScramSpec(f *testing.F) {
	f.Add(`SCRAM-SHA-256=[name=alice,password=alice-secret]`)
	f.Add(`SCRAM-SHA-512=[name=alice,iterations=8192,salt="c2FsdA==",saltedpassword="c2FsdGVk"]`)
	f.Fuzz(func(t *testing.T, s string) {
		if r, err := ParseScramSpec(s); err == nil && (r.Name == "" || len(r.StoredKey) == 0) {
			t.Fatalf("accepted an incomplete credential: %+v", r)
		}
	})
}
