package metadata

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
)

func uuidString(u Uuid) string { return base64.RawURLEncoding.EncodeToString(u[:]) }

// ParseUuid parses the base64url form produced by Uuid.String.
func ParseUuid(s string) (Uuid, error) {
	var u Uuid
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != len(u) {
		return u, fmt.Errorf("metadata: %q is not a 22-character base64url uuid", s)
	}
	copy(u[:], b)
	return u, nil
}

// RandomUuid returns a random id that is neither zero nor Kafka's reserved
// METADATA_TOPIC_ID (all zero but the last byte 1); like Kafka it also
// avoids ids whose string form starts with '-', which break CLI flags.
func RandomUuid() Uuid {
	for {
		var u Uuid
		if _, err := rand.Read(u[:]); err != nil {
			panic(fmt.Sprintf("metadata: crypto/rand failed: %v", err))
		}
		if u == (Uuid{}) || u == (Uuid{15: 1}) || u.String()[0] == '-' {
			continue
		}
		return u
	}
}
