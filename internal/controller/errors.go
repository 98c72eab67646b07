package controller

import (
	"errors"
	"strings"
)

// sentinels are the errors ErrorMessage strips; every exported Err… of the
// package is here.
var sentinels = []error{
	ErrTopicExists, ErrUnknownTopic, ErrInvalidTopic, ErrInvalidPartitions,
	ErrInvalidReplicationFactor, ErrInvalidReplicaAssignment, ErrInvalidConfig,
	ErrNotController, ErrInvalidRequest, ErrTopicDeletionDisabled,
	ErrStaleBrokerEpoch, ErrBrokerNotRegistered,
	ErrUnknownTopicOrPartition, ErrUnknownTopicID, ErrNotLeaderOrFollower, ErrFencedLeaderEpoch,
	ErrInvalidUpdateVersion, ErrIneligibleReplica,
	ErrElectionNotNeeded, ErrPreferredLeaderNotAvailable, ErrEligibleLeadersNotAvailable,
	ErrNoReassignmentInProgress, ErrDuplicateBrokerRegistration,
	ErrUnacceptableCredential, ErrUnsupportedSaslMechanism, ErrResourceNotFound, ErrDuplicateResource,
}

// ErrorMessage returns the client-facing message of err: the text after the
// sentinel prefix ("controller: topic already exists: Topic 'a' already
// exists." → "Topic 'a' already exists."), or err's text if it wraps none.
// Returns "" for nil.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	for _, s := range sentinels {
		if errors.Is(err, s) {
			if rest, ok := strings.CutPrefix(msg, s.Error()+": "); ok {
				return rest
			}
			return msg
		}
	}
	return msg
}
