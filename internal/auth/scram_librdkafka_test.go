package auth

import (
	"crypto/pbkdf2"
	"crypto/sha512"
	"encoding/base64"
	"strings"
	"testing"
)

// librdkafkaFinal builds the client-final message as librdkafka < 2.6.1
// does: nonce = client nonce + the server's whole nonce.
func librdkafkaFinal(t *testing.T, password, clientFirst, serverFirst, nonce string) string {
	t.Helper()
	salt, err := base64.StdEncoding.DecodeString(scramAttr(serverFirst, "s"))
	if err != nil {
		t.Fatal(err)
	}
	salted, err := pbkdf2.Key(sha512.New, password, salt, 4096, sha512.Size)
	if err != nil {
		t.Fatal(err)
	}
	clientKey := hmacOf(sha512.New, salted, "Client Key")
	stored := sha512.Sum512(clientKey)
	withoutProof := "c=biws,r=" + nonce
	sig := hmacOf(sha512.New, stored[:], strings.TrimPrefix(clientFirst, "n,,")+","+serverFirst+","+withoutProof)
	proof := make([]byte, len(sig))
	for i := range sig {
		proof[i] = clientKey[i] ^ sig[i]
	}
	return withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof)
}

// TestScramLibrdkafkaNonce: the repeated-client-nonce form of librdkafka
// before 2.6.1 authenticates with the right password only; any other
// nonce, such as a final message replayed against a new exchange, is
// still refused (CVE-2024-56128).
func TestScramLibrdkafkaNonce(t *testing.T) {
	m := scramFor(t, "SCRAM-SHA-512", "alice", "alice-secret")
	run := func(password string, nonce func(cnonce, snonce string) string) error {
		s := m.NewSession()
		first := "n,,n=alice,r=tqVvQ0{tQVn/.-iu>\\O-Q6:~R5lzgkan"
		serverFirst, _, err := s.Step([]byte(first))
		if err != nil {
			t.Fatal(err)
		}
		final := librdkafkaFinal(t, password, first, string(serverFirst), nonce(scramAttr(first, "r"), scramAttr(string(serverFirst), "r")))
		reply, done, err := s.Step([]byte(final))
		if err == nil && (!done || !strings.HasPrefix(string(reply), "v=") || s.User() != "alice") {
			t.Fatalf("accepted without a verifier: %q %v", reply, done)
		}
		return err
	}
	repeated := func(c, s string) string { return c + s }
	if err := run("alice-secret", repeated); err != nil {
		t.Fatalf("librdkafka's form with the right password: %v", err)
	}
	if err := run("wrong", repeated); err == nil {
		t.Fatal("librdkafka's form with a wrong password accepted")
	}
	if err := run("alice-secret", func(c, s string) string { return "x" + s }); err == nil {
		t.Fatal("a nonce with another prefix accepted")
	}
	if err := run("alice-secret", func(c, s string) string { return c + c + s }); err == nil {
		t.Fatal("a nonce with the client nonce three times accepted")
	}
	if err := run("alice-secret", func(c, s string) string { return s }); err != nil {
		t.Fatalf("the RFC's form: %v", err)
	}
}
