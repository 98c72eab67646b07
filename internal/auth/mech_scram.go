package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"strings"

	"github.com/xdg-go/scram"

	"github.com/strom-project/strom/internal/metadata"
)

// CredentialLookup finds a user's SCRAM credential for one mechanism.
type CredentialLookup func(user string) (metadata.ScramCredential, bool)

// Scram is SCRAM-SHA-256 or SCRAM-SHA-512 (RFC 5802, RFC 7677) with the
// credentials of the metadata log.
type Scram struct {
	name   string
	server *scram.Server
	lookup func(user string) metadata.ScramCredential // with decoys for unknown users
}

// NewScram returns the mechanism ("SCRAM-SHA-256" or "SCRAM-SHA-512").
func NewScram(name string, lookup CredentialLookup) (*Scram, error) {
	hash := scram.SHA256
	switch name {
	case "SCRAM-SHA-256":
	case "SCRAM-SHA-512":
		hash = scram.SHA512
	default:
		return nil, fmt.Errorf("auth: unknown SCRAM mechanism %q", name)
	}
	decoy := newDecoys(name)
	find := func(user string) metadata.ScramCredential {
		c, ok := lookup(user)
		if !ok {
			// An unknown user gets a credential nobody has the password
			// of: the exchange runs to the end and fails like a wrong
			// password, so a client cannot probe for user names.
			c = decoy.credential(user)
		}
		return c
	}
	srv, err := hash.NewServer(func(user string) (scram.StoredCredentials, error) {
		c := find(user)
		return scram.StoredCredentials{
			KeyFactors: scram.KeyFactors{Salt: string(c.Salt), Iters: int(c.Iterations)},
			StoredKey:  c.StoredKey, ServerKey: c.ServerKey,
		}, nil
	})
	if err != nil {
		return nil, err
	}
	return &Scram{name: name, server: srv, lookup: find}, nil
}

// decoys make a credential for any unknown user: a salt stable per name
// (a client asking twice sees the same one, as for a real user) but
// unpredictable, and keys nobody has a password for.
type decoys struct {
	secret []byte
	size   int
}

func newDecoys(name string) decoys {
	d := decoys{secret: make([]byte, 32), size: sha256.Size}
	rand.Read(d.secret)
	if name == "SCRAM-SHA-512" {
		d.size = sha512.Size
	}
	return d
}

func (d decoys) credential(user string) metadata.ScramCredential {
	m := hmac.New(sha512.New, d.secret)
	m.Write([]byte(user))
	sum := m.Sum(nil)
	return metadata.ScramCredential{Salt: sum[:16], StoredKey: sum[:d.size], ServerKey: sum[64-d.size:], Iterations: 4096}
}

func (s *Scram) Name() string { return s.name }

func (s *Scram) NewSession() Session {
	return &scramSession{conv: s.server.NewConversation(), mech: s.name, lookup: s.lookup}
}

type scramSession struct {
	conv   *scram.ServerConversation
	mech   string
	lookup func(string) metadata.ScramCredential
	user   string

	clientFirst, serverFirst string // kept for the librdkafka path
}

// Step runs one round: client-first → server-first, client-final →
// server-final. The library checks the final nonce (CVE-2024-56128) and
// compares proofs in constant time.
func (s *scramSession) Step(msg []byte) ([]byte, bool, error) {
	if s.conv.Done() {
		return nil, false, errors.New("SCRAM exchange already finished")
	}
	first := !strings.Contains(string(msg), ",p=")
	if first && strings.Contains(string(msg), "tokenauth=") {
		return nil, false, errors.New("Authentication failed: delegation tokens are not supported")
	}
	if !first && s.serverFirst != "" && repeatsClientNonce(string(msg), s.clientFirst, s.serverFirst) {
		return s.finalRepeatedNonce(string(msg))
	}
	reply, err := s.conv.Step(string(msg))
	if err != nil {
		return nil, false, s.failed()
	}
	if !s.conv.Done() {
		s.clientFirst, s.serverFirst = string(msg), reply
		return []byte(reply), false, nil
	}
	if !s.conv.Valid() {
		return nil, false, s.failed()
	}
	return s.done(s.conv.Username(), s.conv.AuthzID(), []byte(reply))
}

func (s *scramSession) failed() error {
	return fmt.Errorf("Authentication failed during authentication due to invalid credentials with SASL mechanism %s", s.mech)
}

func (s *scramSession) done(user, authzid string, reply []byte) ([]byte, bool, error) {
	if authzid != "" && authzid != user {
		// CVE-2017-12610, for SCRAM.
		return nil, false, errors.New("Authentication failed: Client requested an authorization id that is different from username")
	}
	s.user = user
	return reply, true, nil
}

func (s *scramSession) User() string { return s.user }

// ScramCredential derives what the broker stores for a password (salt
// random when nil): used by `strom storage format --add-scram`.
func ScramCredential(mechanism, password string, salt []byte, iterations int) (metadata.ScramCredential, error) {
	hash := scram.SHA256
	if mechanism == "SCRAM-SHA-512" {
		hash = scram.SHA512
	} else if mechanism != "SCRAM-SHA-256" {
		return metadata.ScramCredential{}, fmt.Errorf("unknown SCRAM mechanism %q", mechanism)
	}
	if iterations < 4096 || iterations > 16384 {
		return metadata.ScramCredential{}, fmt.Errorf("iterations %d outside Kafka's 4096 to 16384", iterations)
	}
	if salt == nil {
		salt = make([]byte, 32)
		rand.Read(salt)
	}
	cl, err := hash.NewClient("", password, "")
	if err != nil {
		return metadata.ScramCredential{}, err
	}
	sc, err := cl.GetStoredCredentialsWithError(scram.KeyFactors{Salt: string(salt), Iters: iterations})
	if err != nil {
		return metadata.ScramCredential{}, err
	}
	return metadata.ScramCredential{Salt: salt, StoredKey: sc.StoredKey, ServerKey: sc.ServerKey, Iterations: int32(iterations)}, nil
}
