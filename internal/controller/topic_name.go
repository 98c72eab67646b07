package controller

import (
	"fmt"
	"strings"

	"github.com/strom-project/strom/internal/metadata"
)

// maxTopicNameLen is Kafka's Topic.MAX_NAME_LENGTH.
const maxTopicNameLen = 249

// validateTopicName applies Kafka's Topic.validate rules; messages match
// Kafka's so clients show the same text.
func validateTopicName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: Topic name is illegal, it can't be empty", ErrInvalidTopic)
	case name == "." || name == "..":
		return fmt.Errorf("%w: Topic name cannot be \".\" or \"..\"", ErrInvalidTopic)
	case len(name) > maxTopicNameLen:
		return fmt.Errorf("%w: Topic name is illegal, it can't be longer than %d characters, topic name: %s", ErrInvalidTopic, maxTopicNameLen, name)
	}
	for i := 0; i < len(name); i++ {
		if !legalTopicChar(name[i]) {
			return fmt.Errorf("%w: Topic name %q is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'", ErrInvalidTopic, name)
		}
	}
	return nil
}

func legalTopicChar(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '.' || b == '_' || b == '-'
}

// unifyCollision maps '.' to '_': Kafka refuses topics whose names differ
// only there, because both become the same metric name.
func unifyCollision(name string) string { return strings.ReplaceAll(name, ".", "_") }

// collidingTopic returns an existing topic (in im or pending) whose name
// collides with name, or "".
func collidingTopic(im *metadata.Image, pending map[string]string, name string) string {
	if !strings.ContainsAny(name, "._") {
		return ""
	}
	key := unifyCollision(name)
	if other, ok := pending[key]; ok && other != name {
		return other
	}
	for other := range im.Topics {
		if other != name && strings.ContainsAny(other, "._") && unifyCollision(other) == key {
			return other
		}
	}
	return ""
}
