package controller

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/strom-project/strom/internal/metadata"
)

// TestScramKeysRFC7677 checks the stored and server keys against RFC
// 7677's SCRAM-SHA-256 exchange (user "user", password "pencil"): the
// client proof and server signature they imply are the RFC's.
func TestScramKeysRFC7677(t *testing.T) {
	salt, _ := base64.StdEncoding.DecodeString("W22ZaJ0SNY7soEsUEjb6gQ==")
	salted, err := pbkdf2.Key(sha256.New, "pencil", salt, 4096, sha256.Size)
	if err != nil {
		t.Fatal(err)
	}
	stored, server := ScramKeys(metadata.ScramSHA256, salted)
	const authMessage = "n=user,r=rOprNGfwEbeRWgbNEkqO," +
		"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096," +
		"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
	mac := func(key []byte) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(authMessage))
		return m.Sum(nil)
	}
	if got := base64.StdEncoding.EncodeToString(mac(server)); got != "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=" {
		t.Fatalf("server signature %s", got)
	}
	// ClientProof = ClientKey XOR ClientSignature, and H(ClientKey) is the
	// stored key: recover ClientKey from the RFC's proof and hash it.
	proof, _ := base64.StdEncoding.DecodeString("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
	sig := mac(stored)
	clientKey := make([]byte, len(proof))
	for i := range proof {
		clientKey[i] = proof[i] ^ sig[i]
	}
	if h := sha256.Sum256(clientKey); !hmac.Equal(h[:], stored) {
		t.Fatal("the RFC's client proof does not match the stored key")
	}
}

func TestAlterUserScramCredentials(t *testing.T) {
	c := start(t, testOptions(t.TempDir()))
	ctx := context.Background()
	up := func(user string, mech int8, iter int32) ScramAlteration {
		return ScramAlteration{User: user, Mechanism: mech, Iterations: iter, Salt: []byte("salt"), SaltedPassword: []byte("salted")}
	}
	users, errs := c.AlterUserScramCredentials(ctx, []ScramAlteration{
		up("alice", metadata.ScramSHA256, 4096), up("alice", metadata.ScramSHA512, 8192), up("bob", metadata.ScramSHA512, 4096),
	})
	if len(users) != 2 || errs[0] != nil || errs[1] != nil {
		t.Fatalf("upserts: %v %v", users, errs)
	}
	for _, tc := range []struct {
		name string
		alts []ScramAlteration
		want error
	}{
		{"too few iterations", []ScramAlteration{up("carol", metadata.ScramSHA256, 100)}, ErrUnacceptableCredential},
		{"too many iterations", []ScramAlteration{up("carol", metadata.ScramSHA256, 20000)}, ErrUnacceptableCredential},
		{"empty name", []ScramAlteration{up("", metadata.ScramSHA256, 4096)}, ErrUnacceptableCredential},
		{"unknown mechanism", []ScramAlteration{up("carol", 7, 4096)}, ErrUnsupportedSaslMechanism},
		{"delete missing", []ScramAlteration{{User: "carol", Mechanism: metadata.ScramSHA256, Delete: true}}, ErrResourceNotFound},
		{"altered twice", []ScramAlteration{{User: "bob", Mechanism: metadata.ScramSHA512, Delete: true}, up("bob", metadata.ScramSHA512, 4096)}, ErrDuplicateResource},
	} {
		if _, errs := c.AlterUserScramCredentials(ctx, tc.alts); !errors.Is(errs[0], tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, errs[0], tc.want)
		}
	}
	// The failed ones changed nothing: bob still has his credential.
	if _, errs := c.AlterUserScramCredentials(ctx, []ScramAlteration{{User: "bob", Mechanism: metadata.ScramSHA512, Delete: true}}); errs[0] != nil {
		t.Fatalf("deleting bob: %v", errs[0])
	}
	im := c.Image()
	if len(im.ScramCredentials) != 2 {
		t.Fatalf("credentials %v", im.ScramCredentials)
	}
	got := im.ScramCredentials[metadata.ScramKey{User: "alice", Mechanism: metadata.ScramSHA512}]
	stored, server := ScramKeys(metadata.ScramSHA512, []byte("salted"))
	if got.Iterations != 8192 || !hmac.Equal(got.StoredKey, stored) || !hmac.Equal(got.ServerKey, server) {
		t.Fatalf("alice's SHA-512 credential %+v", got)
	}
}
