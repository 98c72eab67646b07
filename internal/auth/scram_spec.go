package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"github.com/strom-project/strom/internal/metadata"
)

// ParseScramSpec parses kafka-storage format's --add-scram argument:
//
//	SCRAM-SHA-256=[name=alice,password=alice-secret]
//	SCRAM-SHA-512=[name=alice,iterations=8192,salt="c2FsdA==",saltedpassword="..."]
//
// (values may be double-quoted; iterations default to 4096; salt and
// saltedpassword are base64) and returns the credential record.
func ParseScramSpec(s string) (*metadata.UserScramCredentialRecord, error) {
	mechName, body, ok := strings.Cut(strings.TrimSpace(s), "=")
	if !ok || !strings.HasPrefix(body, "[") || !strings.HasSuffix(body, "]") {
		return nil, fmt.Errorf("--add-scram %q: want MECHANISM=[name=...,password=...]", s)
	}
	var mech int8
	switch mechName {
	case "SCRAM-SHA-256":
		mech = metadata.ScramSHA256
	case "SCRAM-SHA-512":
		mech = metadata.ScramSHA512
	default:
		return nil, fmt.Errorf("--add-scram: unknown mechanism %q (SCRAM-SHA-256, SCRAM-SHA-512)", mechName)
	}
	kv := map[string]string{}
	for _, part := range strings.Split(body[1:len(body)-1], ",") {
		k, v, ok := strings.Cut(part, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if !ok || k == "" {
			return nil, fmt.Errorf("--add-scram: malformed %q", part)
		}
		if _, dup := kv[k]; dup {
			return nil, fmt.Errorf("--add-scram: %s given twice", k)
		}
		kv[k] = strings.Trim(strings.TrimSpace(v), `"`)
	}
	for k := range kv {
		switch k {
		case "name", "password", "iterations", "salt", "saltedpassword":
		default:
			return nil, fmt.Errorf("--add-scram: unknown key %q", k)
		}
	}
	if kv["name"] == "" {
		return nil, errors.New("--add-scram: name is required")
	}
	iterations := 4096
	if v, ok := kv["iterations"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("--add-scram: iterations %q: %w", v, err)
		}
		iterations = n
	}
	var cred metadata.ScramCredential
	switch pw, hasPW := kv["password"]; {
	case hasPW && kv["saltedpassword"] == "":
		var salt []byte
		if v, ok := kv["salt"]; ok {
			var err error
			if salt, err = base64.StdEncoding.DecodeString(v); err != nil {
				return nil, fmt.Errorf("--add-scram: salt: %w", err)
			}
		}
		var err error
		if cred, err = ScramCredential(mechName, pw, salt, iterations); err != nil {
			return nil, fmt.Errorf("--add-scram: %w", err)
		}
	case !hasPW && kv["saltedpassword"] != "" && kv["salt"] != "":
		if iterations < 4096 || iterations > 16384 {
			return nil, fmt.Errorf("--add-scram: iterations %d outside Kafka's 4096 to 16384", iterations)
		}
		salt, err1 := base64.StdEncoding.DecodeString(kv["salt"])
		salted, err2 := base64.StdEncoding.DecodeString(kv["saltedpassword"])
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("--add-scram: %w", err)
		}
		stored, server := keysFromSalted(mech, salted)
		cred = metadata.ScramCredential{Salt: salt, StoredKey: stored, ServerKey: server, Iterations: int32(iterations)}
	default:
		return nil, errors.New("--add-scram: give password, or salt with saltedpassword")
	}
	return &metadata.UserScramCredentialRecord{Name: kv["name"], Mechanism: mech, Salt: cred.Salt,
		StoredKey: cred.StoredKey, ServerKey: cred.ServerKey, Iterations: cred.Iterations}, nil
}

// keysFromSalted derives RFC 5802's stored and server keys.
func keysFromSalted(mech int8, salted []byte) (stored, server []byte) {
	h := sha256.New
	if mech == metadata.ScramSHA512 {
		h = sha512.New
	}
	mac := func(msg string) []byte {
		m := hmac.New(h, salted)
		m.Write([]byte(msg))
		return m.Sum(nil)
	}
	var d hash.Hash = h()
	d.Write(mac("Client Key"))
	return d.Sum(nil), mac("Server Key")
}
