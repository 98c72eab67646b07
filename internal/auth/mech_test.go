package auth

import (
	"context"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
	xscram "github.com/xdg-go/scram"

	"github.com/strom-project/strom/internal/metadata"
)

// exchange drives a franz-go client session against a server session, as
// the connection does, and returns the server's first error.
func exchange(t *testing.T, client sasl.Mechanism, server Session) error {
	t.Helper()
	sess, msg, err := client.Authenticate(context.Background(), "broker:9092")
	if err != nil {
		t.Fatal(err)
	}
	for {
		reply, done, err := server.Step(msg)
		if err != nil {
			return err
		}
		clientDone, next, cerr := sess.Challenge(reply)
		if cerr != nil {
			t.Fatalf("client rejected the server: %v", cerr)
		}
		if done {
			if !clientDone {
				t.Fatal("server done, client not")
			}
			return nil
		}
		msg = next
	}
}

func TestPlain(t *testing.T) {
	p := NewPlain(map[string]string{"alice": "alice-secret"})
	s := p.NewSession()
	if err := exchange(t, plain.Auth{User: "alice", Pass: "alice-secret"}.AsMechanism(), s); err != nil || s.User() != "alice" {
		t.Fatalf("right password: %v, user %q", err, s.User())
	}
	for name, msg := range map[string]string{
		"wrong password":          "\x00alice\x00nope",
		"unknown user":            "\x00mallory\x00alice-secret",
		"authzid other than user": "bob\x00alice\x00alice-secret", // CVE-2017-12610
		"two tokens":              "alice\x00alice-secret",
		"empty user":              "\x00\x00x",
		"empty password":          "\x00alice\x00",
		"four tokens":             "\x00alice\x00alice-secret\x00",
	} {
		if _, done, err := p.NewSession().Step([]byte(msg)); err == nil || done {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, done, err := p.NewSession().Step([]byte("alice\x00alice\x00alice-secret")); err != nil || !done {
		t.Errorf("authzid equal to the user: %v", err)
	}
}

func scramFor(t *testing.T, mech, user, password string) *Scram {
	t.Helper()
	cred, err := ScramCredential(mech, password, nil, 4096)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewScram(mech, func(u string) (metadata.ScramCredential, bool) { return cred, u == user })
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestScramThroughFranzGo(t *testing.T) {
	for _, tc := range []struct {
		mech   string
		client func(scram.Auth) sasl.Mechanism
	}{
		{"SCRAM-SHA-256", scram.Auth.AsSha256Mechanism},
		{"SCRAM-SHA-512", scram.Auth.AsSha512Mechanism},
	} {
		t.Run(tc.mech, func(t *testing.T) {
			m := scramFor(t, tc.mech, "alice", "alice-secret")
			s := m.NewSession()
			if err := exchange(t, tc.client(scram.Auth{User: "alice", Pass: "alice-secret"}), s); err != nil || s.User() != "alice" {
				t.Fatalf("right password: %v, user %q", err, s.User())
			}
			if err := exchange(t, tc.client(scram.Auth{User: "alice", Pass: "wrong"}), m.NewSession()); err == nil {
				t.Fatal("wrong password accepted")
			}
			// An unknown user is refused at the end, like a wrong
			// password, not at the first message.
			if _, _, err := m.NewSession().Step([]byte("n,,n=mallory,r=abcdefgh")); err != nil {
				t.Fatalf("unknown user refused at the first message: %v", err)
			}
			if err := exchange(t, tc.client(scram.Auth{User: "mallory", Pass: "x"}), m.NewSession()); err == nil {
				t.Fatal("unknown user accepted")
			}
		})
	}
}

// TestScramFinalNonceMustMatch is CVE-2024-56128: a client-final message
// whose nonce is not the client's plus the server's is refused.
func TestScramFinalNonceMustMatch(t *testing.T) {
	m := scramFor(t, "SCRAM-SHA-256", "alice", "alice-secret")
	s := m.NewSession()
	serverFirst, _, err := s.Step([]byte("n,,n=alice,r=clientnonce"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(serverFirst), "r=clientnonce") {
		t.Fatalf("server-first %q", serverFirst)
	}
	if _, done, err := s.Step([]byte("c=biws,r=clientnonce-but-not-the-servers,p=AAAA")); err == nil || done {
		t.Fatal("a final message with another nonce was accepted")
	}
}

func TestScramRefusals(t *testing.T) {
	m := scramFor(t, "SCRAM-SHA-256", "alice", "alice-secret")
	if _, _, err := m.NewSession().Step([]byte("n,,n=alice,r=abc,tokenauth=true")); err == nil {
		t.Error("tokenauth accepted")
	}
	if _, _, err := m.NewSession().Step([]byte("garbage")); err == nil {
		t.Error("garbage accepted")
	}
	// An authzid other than the user (CVE-2017-12610), with the right
	// password: refused once the proof checks out.
	cl, err := xscram.SHA256.NewClient("alice", "alice-secret", "bob")
	if err != nil {
		t.Fatal(err)
	}
	conv, s := cl.NewConversation(), m.NewSession()
	msg, _ := conv.Step("")
	for {
		reply, done, err := s.Step([]byte(msg))
		if err != nil {
			if !strings.Contains(err.Error(), "authorization id") {
				t.Errorf("authzid bob for alice: %v", err)
			}
			break
		}
		if done {
			t.Fatal("authzid bob for alice accepted")
		}
		if msg, err = conv.Step(string(reply)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ScramCredential("SCRAM-SHA-256", "pw", nil, 100); err == nil {
		t.Error("100 iterations accepted")
	}
	if _, err := NewScram("SCRAM-SHA-1", nil); err == nil {
		t.Error("SCRAM-SHA-1 offered")
	}
}
