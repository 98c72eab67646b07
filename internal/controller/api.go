package controller

import (
	"errors"

	"github.com/strom-project/strom/internal/metadata"
)

// Errors returned by controller operations; internal/api maps them to Kafka
// codes (named in the comments).
var (
	ErrTopicExists              = errors.New("controller: topic already exists")                   // TOPIC_ALREADY_EXISTS
	ErrUnknownTopic             = errors.New("controller: unknown topic")                          // UNKNOWN_TOPIC_OR_PARTITION / UNKNOWN_TOPIC_ID
	ErrInvalidTopic             = errors.New("controller: invalid topic name")                     // INVALID_TOPIC_EXCEPTION
	ErrInvalidPartitions        = errors.New("controller: invalid number of partitions")           // INVALID_PARTITIONS
	ErrInvalidReplicationFactor = errors.New("controller: invalid replication factor")             // INVALID_REPLICATION_FACTOR
	ErrInvalidReplicaAssignment = errors.New("controller: invalid replica assignment")             // INVALID_REPLICA_ASSIGNMENT
	ErrInvalidConfig            = errors.New("controller: invalid config")                         // INVALID_CONFIG
	ErrNotController            = errors.New("controller: this node is not the active controller") // NOT_CONTROLLER
	ErrInvalidRequest           = errors.New("controller: invalid request")                        // INVALID_REQUEST
	ErrTopicDeletionDisabled    = errors.New("controller: topic deletion is disabled")             // TOPIC_DELETION_DISABLED

	// Broker lifecycle (BrokerRegistration, BrokerHeartbeat, AlterPartition).
	ErrStaleBrokerEpoch    = errors.New("controller: stale broker epoch")          // STALE_BROKER_EPOCH
	ErrBrokerNotRegistered = errors.New("controller: broker id is not registered") // BROKER_ID_NOT_REGISTERED

	// Partition state (AlterPartition, ElectLeaders).
	ErrUnknownTopicOrPartition     = errors.New("controller: unknown topic or partition")                // UNKNOWN_TOPIC_OR_PARTITION
	ErrUnknownTopicID              = errors.New("controller: unknown topic id")                          // UNKNOWN_TOPIC_ID
	ErrNotLeaderOrFollower         = errors.New("controller: broker is not the partition leader")        // NOT_LEADER_OR_FOLLOWER
	ErrFencedLeaderEpoch           = errors.New("controller: fenced leader epoch")                       // FENCED_LEADER_EPOCH
	ErrInvalidUpdateVersion        = errors.New("controller: stale partition epoch")                     // INVALID_UPDATE_VERSION
	ErrIneligibleReplica           = errors.New("controller: ineligible replica in the new ISR")         // INELIGIBLE_REPLICA
	ErrElectionNotNeeded           = errors.New("controller: leader election not needed")                // ELECTION_NOT_NEEDED
	ErrPreferredLeaderNotAvailable = errors.New("controller: preferred leader not available")            // PREFERRED_LEADER_NOT_AVAILABLE
	ErrEligibleLeadersNotAvailable = errors.New("controller: no eligible leader available for election") // ELIGIBLE_LEADERS_NOT_AVAILABLE
)

// CreateTopic is one topic of a CreateTopics request.
type CreateTopic struct {
	Name              string
	NumPartitions     int32             // -1: num.partitions
	ReplicationFactor int16             // -1: default.replication.factor
	Assignments       map[int32][]int32 // manual assignment; then NumPartitions/RF must be -1
	Configs           map[string]string
}

// CreateTopicResult is the outcome for one topic. Err wraps one of the
// errors above (with a message for the client) or is nil.
type CreateTopicResult struct {
	Name              string
	ID                metadata.Uuid
	NumPartitions     int32
	ReplicationFactor int16
	Configs           map[string]string // the topic's explicitly set configs
	Err               error
}

// DeleteTopic names a topic by name or by id (one of them set).
type DeleteTopic struct {
	Name string
	ID   metadata.Uuid
}

// DeleteTopicResult is the outcome for one topic.
type DeleteTopicResult struct {
	Name string
	ID   metadata.Uuid
	Err  error
}

// CreatePartitions grows a topic to Count partitions.
type CreatePartitions struct {
	Topic       string
	Count       int32
	Assignments [][]int32 // optional, one per new partition
}

// CreatePartitionsResult is the outcome for one topic.
type CreatePartitionsResult struct {
	Topic string
	Err   error
}

// BrokerRegistration is what a broker announces about itself when it starts
// (Kafka's BrokerRegistrationRequest).
type BrokerRegistration struct {
	ID int32
	// IncarnationID is random per broker process start. A registration
	// with the incarnation already registered is a retry and returns the
	// same epoch; zero means "always a new incarnation".
	IncarnationID metadata.Uuid
	Rack          *string
	Endpoints     []metadata.Endpoint
	// PreviousBrokerEpoch is the epoch the broker wrote to its
	// clean-shutdown file when it last stopped (-1: none, it crashed).
	// A new incarnation whose previous epoch is not the registered one
	// restarted uncleanly and leaves every ISR and ELR (KIP-966).
	PreviousBrokerEpoch int64
}

// BrokerHeartbeat is Kafka's BrokerHeartbeatRequest.
type BrokerHeartbeat struct {
	ID    int32
	Epoch int64 // from RegisterBroker
	// MetadataOffset is the offset of the broker's latest applied metadata
	// image (metadata.Image.Offset).
	MetadataOffset uint64
	WantFence      bool // the broker wants to be (or stay) fenced
	WantShutDown   bool // the broker wants to shut down (controlled shutdown)
}

// BrokerHeartbeatReply is Kafka's BrokerHeartbeatResponse.
type BrokerHeartbeatReply struct {
	IsCaughtUp     bool // the broker has applied its own registration
	IsFenced       bool
	ShouldShutDown bool // controlled shutdown is complete: stop now
}

// AlterPartitionItem is one partition of an AlterPartition request (v2+:
// topics by id) sent by the partition's leader.
type AlterPartitionItem struct {
	TopicID        metadata.Uuid
	Partition      int32
	LeaderEpoch    int32
	PartitionEpoch int32
	NewISR         []int32
	// NewISRBrokerEpochs, if not nil, holds the broker epoch of each NewISR
	// member as the leader saw it in its fetch (AlterPartition v3,
	// KIP-903); -1 entries are not checked. A member whose epoch is not
	// its current one is ineligible: it restarted since.
	NewISRBrokerEpochs []int64
}

// AlterPartitionResult is the outcome for one partition. State is the
// partition after the request (nil when Err is set).
type AlterPartitionResult struct {
	TopicID   metadata.Uuid
	Partition int32
	Err       error
	State     *metadata.Partition
}

// TopicPartition names a partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// ElectLeaderResult is the outcome of ElectLeaders for one partition. Err is
// nil (a leader was elected), or wraps ErrElectionNotNeeded,
// ErrPreferredLeaderNotAvailable, ErrEligibleLeadersNotAvailable,
// ErrUnknownTopicOrPartition or ErrInvalidRequest.
type ElectLeaderResult struct {
	Topic     string
	Partition int32
	Err       error
}
