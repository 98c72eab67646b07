package controller

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"

	"github.com/strom-project/strom/internal/metadata"
)

// Errors of the security admin APIs (AlterUserScramCredentials, ACLs).
var (
	ErrUnacceptableCredential   = errors.New("controller: unacceptable credential")    // UNACCEPTABLE_CREDENTIAL
	ErrUnsupportedSaslMechanism = errors.New("controller: unsupported SASL mechanism") // UNSUPPORTED_SASL_MECHANISM
	ErrResourceNotFound         = errors.New("controller: resource not found")         // RESOURCE_NOT_FOUND
	ErrDuplicateResource        = errors.New("controller: duplicate resource")         // DUPLICATE_RESOURCE
)

// Kafka's bounds on SCRAM iterations (ScramFormatter / ScramMechanism).
const (
	MinScramIterations = 4096
	MaxScramIterations = 16384
)

// ScramAlteration is one deletion or upsertion of AlterUserScramCredentials.
// An upsertion carries the salt and the salted password the client
// computed; the controller keeps only the stored and server keys derived
// from them.
type ScramAlteration struct {
	User           string
	Mechanism      int8
	Delete         bool
	Iterations     int32
	Salt           []byte
	SaltedPassword []byte
}

// AlterUserScramCredentials applies alterations user by user (Kafka's
// ScramControlManager): results are per distinct user in order of first
// appearance; a user with any invalid alteration changes nothing, the
// others commit as one metadata entry.
func (c *Controller) AlterUserScramCredentials(ctx context.Context, alts []ScramAlteration) (users []string, errs []error) {
	byUser := map[string][]ScramAlteration{}
	for _, a := range alts {
		if _, ok := byUser[a.User]; !ok {
			users = append(users, a.User)
		}
		byUser[a.User] = append(byUser[a.User], a)
	}
	errs = c.batchWrite(ctx, len(users), false, func(im *metadata.Image) itemBuilder {
		return func(i, _ int) ([]metadata.Record, error) { return scramRecords(im, users[i], byUser[users[i]]) }
	})
	return users, errs
}

// scramRecords validates one user's alterations and returns their records.
func scramRecords(im *metadata.Image, user string, alts []ScramAlteration) ([]metadata.Record, error) {
	if user == "" {
		return nil, fmt.Errorf("%w: Username must not be empty", ErrUnacceptableCredential)
	}
	seen := map[int8]bool{}
	var recs []metadata.Record
	for _, a := range alts {
		if a.Mechanism != metadata.ScramSHA256 && a.Mechanism != metadata.ScramSHA512 {
			return nil, fmt.Errorf("%w: Unknown SCRAM mechanism", ErrUnsupportedSaslMechanism)
		}
		if seen[a.Mechanism] {
			return nil, fmt.Errorf("%w: A user credential cannot be altered twice in the same request", ErrDuplicateResource)
		}
		seen[a.Mechanism] = true
		if a.Delete {
			if _, ok := im.ScramCredentials[metadata.ScramKey{User: user, Mechanism: a.Mechanism}]; !ok {
				return nil, fmt.Errorf("%w: Attempt to delete a user credential that does not exist", ErrResourceNotFound)
			}
			recs = append(recs, &metadata.RemoveUserScramCredentialRecord{Name: user, Mechanism: a.Mechanism})
			continue
		}
		switch {
		case a.Iterations < MinScramIterations:
			return nil, fmt.Errorf("%w: Too few iterations", ErrUnacceptableCredential)
		case a.Iterations > MaxScramIterations:
			return nil, fmt.Errorf("%w: Too many iterations", ErrUnacceptableCredential)
		case len(a.Salt) == 0 || len(a.SaltedPassword) == 0:
			return nil, fmt.Errorf("%w: Salt and salted password must not be empty", ErrUnacceptableCredential)
		}
		stored, server := ScramKeys(a.Mechanism, a.SaltedPassword)
		recs = append(recs, &metadata.UserScramCredentialRecord{Name: user, Mechanism: a.Mechanism,
			Salt: a.Salt, StoredKey: stored, ServerKey: server, Iterations: a.Iterations})
	}
	return recs, nil
}

// ScramKeys derives RFC 5802's StoredKey = H(HMAC(SaltedPassword,
// "Client Key")) and ServerKey = HMAC(SaltedPassword, "Server Key").
func ScramKeys(mechanism int8, saltedPassword []byte) (storedKey, serverKey []byte) {
	h := sha256.New
	if mechanism == metadata.ScramSHA512 {
		h = sha512.New
	}
	mac := func(key []byte, msg string) []byte {
		m := hmac.New(h, key)
		m.Write([]byte(msg))
		return m.Sum(nil)
	}
	clientKey := mac(saltedPassword, "Client Key")
	var d hash.Hash = h()
	d.Write(clientKey)
	return d.Sum(nil), mac(saltedPassword, "Server Key")
}
