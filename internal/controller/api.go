package controller

import (
	"errors"

	"github.com/strom-project/strom/internal/metadata"
)

// Errors returned by controller operations; internal/api maps them to Kafka codes.
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

// BrokerRegistration is what a broker announces about itself.
type BrokerRegistration struct {
	ID        int32
	Rack      *string
	Endpoints []metadata.Endpoint
}
