package group

import "errors"

// Errors returned by the coordinator. internal/api maps each to the Kafka
// error code in its comment; nothing in this package knows the codes.
var (
	ErrInvalidGroupID            = errors.New("group: invalid group id")                                   // INVALID_GROUP_ID
	ErrCoordinatorNotAvailable   = errors.New("group: coordinator not available")                          // COORDINATOR_NOT_AVAILABLE
	ErrNotCoordinator            = errors.New("group: not the coordinator for this group")                 // NOT_COORDINATOR
	ErrLoadInProgress            = errors.New("group: coordinator is loading the group")                   // COORDINATOR_LOAD_IN_PROGRESS
	ErrUnknownMemberID           = errors.New("group: unknown member id")                                  // UNKNOWN_MEMBER_ID
	ErrMemberIDRequired          = errors.New("group: member id required")                                 // MEMBER_ID_REQUIRED
	ErrIllegalGeneration         = errors.New("group: illegal generation")                                 // ILLEGAL_GENERATION
	ErrRebalanceInProgress       = errors.New("group: rebalance in progress")                              // REBALANCE_IN_PROGRESS
	ErrFencedInstanceID          = errors.New("group: static member fenced by a newer instance")           // FENCED_INSTANCE_ID
	ErrInconsistentGroupProtocol = errors.New("group: protocol type or protocols do not match the group")  // INCONSISTENT_GROUP_PROTOCOL
	ErrInvalidSessionTimeout     = errors.New("group: session timeout outside the broker's allowed range") // INVALID_SESSION_TIMEOUT
	ErrGroupMaxSizeReached       = errors.New("group: group.max.size reached")                             // GROUP_MAX_SIZE_REACHED
	ErrGroupIDNotFound           = errors.New("group: group id not found")                                 // GROUP_ID_NOT_FOUND
	ErrNonEmptyGroup             = errors.New("group: group is not empty")                                 // NON_EMPTY_GROUP
	ErrGroupSubscribedToTopic    = errors.New("group: group is subscribed to the topic")                   // GROUP_SUBSCRIBED_TO_TOPIC
	ErrOffsetMetadataTooLarge    = errors.New("group: offset metadata larger than offset.metadata.max.bytes")
	ErrInvalidCommitOffsetSize   = errors.New("group: offset commit batch too large")  // INVALID_COMMIT_OFFSET_SIZE
	ErrUnknownServer             = errors.New("group: unexpected error writing state") // UNKNOWN_SERVER_ERROR
)
