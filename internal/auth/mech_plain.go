package auth

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
)

// Plain is SASL PLAIN (RFC 4616) over a fixed user list, which Kafka takes
// from the listener's JAAS config (PlainUsersFromJAAS). Only use it over
// TLS: the password crosses the wire.
type Plain struct {
	users map[string]string
}

// NewPlain returns PLAIN for users (name → password).
func NewPlain(users map[string]string) *Plain { return &Plain{users: users} }

func (*Plain) Name() string { return "PLAIN" }

func (p *Plain) NewSession() Session { return &plainSession{users: p.users} }

type plainSession struct {
	users map[string]string
	user  string
	done  bool
}

// Step takes the one PLAIN message: authzid NUL authcid NUL password.
func (s *plainSession) Step(msg []byte) ([]byte, bool, error) {
	if s.done {
		return nil, false, errors.New("PLAIN takes one message")
	}
	s.done = true
	parts := bytes.Split(msg, []byte{0})
	if len(parts) != 3 {
		return nil, false, errors.New("Invalid SASL/PLAIN response: expected 3 tokens")
	}
	authzid, user, pass := string(parts[0]), string(parts[1]), parts[2]
	switch {
	case user == "":
		return nil, false, errors.New("Authentication failed: username not specified")
	case len(pass) == 0:
		return nil, false, errors.New("Authentication failed: password not specified")
	case authzid != "" && authzid != user:
		// CVE-2017-12610: never let a client act as someone else.
		return nil, false, errors.New("Authentication failed: Client requested an authorization id that is different from username")
	}
	want, ok := s.users[user]
	// Compare digests, so the time taken depends neither on where the
	// passwords differ nor on their lengths, and compare for an unknown
	// user too (CVE-2021-38153).
	w, g := sha256.Sum256([]byte(want)), sha256.Sum256(pass)
	if subtle.ConstantTimeCompare(w[:], g[:]) != 1 || !ok {
		return nil, false, errInvalidCredentials
	}
	s.user = user
	return nil, true, nil
}

func (s *plainSession) User() string { return s.user }
