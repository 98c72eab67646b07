package metadata

// RecordType identifies a metadata record in the log. The numbers are
// persisted: never renumber or reuse one. Where Kafka has the same record
// (metadata/src/main/resources/common/metadata/*.json) we use Kafka's apiKey;
// Strom-only records start at 100.
type RecordType uint16

const (
	RegisterBrokerRecordType RecordType = 0
	// UnregisterBrokerRecordType is Kafka's apiKey 1.
	UnregisterBrokerRecordType RecordType = 1
	TopicRecordType            RecordType = 2
	PartitionRecordType        RecordType = 3
	ConfigRecordType           RecordType = 4
	PartitionChangeRecordType  RecordType = 5
	FenceBrokerRecordType      RecordType = 7
	UnfenceBrokerRecordType    RecordType = 8
	RemoveTopicRecordType      RecordType = 9
	// ClientQuotaRecordType is Kafka's apiKey 14.
	ClientQuotaRecordType RecordType = 14
	ProducerIdsRecordType RecordType = 15
	// BrokerRegistrationChangeRecordType is Kafka's apiKey 17.
	BrokerRegistrationChangeRecordType RecordType = 17
	ClusterIDRecordType                RecordType = 100
)

func (t RecordType) String() string {
	switch t {
	case RegisterBrokerRecordType:
		return "RegisterBroker"
	case TopicRecordType:
		return "Topic"
	case PartitionRecordType:
		return "Partition"
	case ConfigRecordType:
		return "Config"
	case PartitionChangeRecordType:
		return "PartitionChange"
	case FenceBrokerRecordType:
		return "FenceBroker"
	case UnregisterBrokerRecordType:
		return "UnregisterBroker"
	case UnfenceBrokerRecordType:
		return "UnfenceBroker"
	case BrokerRegistrationChangeRecordType:
		return "BrokerRegistrationChange"
	case RemoveTopicRecordType:
		return "RemoveTopic"
	case ProducerIdsRecordType:
		return "ProducerIds"
	case ClientQuotaRecordType:
		return "ClientQuota"
	case ClusterIDRecordType:
		return "ClusterID"
	case UserScramCredentialRecordType:
		return "UserScramCredential"
	case RemoveUserScramCredentialRecordType:
		return "RemoveUserScramCredential"
	case AccessControlEntryRecordType:
		return "AccessControlEntry"
	case RemoveAccessControlEntryRecordType:
		return "RemoveAccessControlEntry"
	}
	return "Unknown"
}

// Record is one metadata record. A raft entry carries a batch of records
// that Image.Apply applies atomically (all or none).
type Record interface {
	Type() RecordType
	// version is the newest encoding version of the record; encode always
	// writes it, decode accepts 0..version.
	version() uint16
	appendBody(dst []byte) []byte
}

// ClusterIDRecord sets the cluster id, once. The first active controller of
// a new cluster writes it (logs made before multi-voter quorums carry it in
// their bootstrap snapshot); every snapshot starts with it.
type ClusterIDRecord struct {
	ClusterID string
}

// RegisterBrokerRecord registers (or re-registers) a broker, replacing its
// previous registration wholesale.
//
// Epoch is the broker epoch. Like Kafka, Strom uses the offset of the
// registration as the epoch: the controller writes Epoch 0, which Apply
// resolves to the offset of the entry holding the record (the controller
// cannot know that offset before proposing). Snapshots write the resolved
// value. An epoch never shrinks for a broker id. Logs written before
// version 1 carry small explicit per-broker counters instead, which offsets
// always exceed, so epochs still grow after an upgrade.
//
// Version 1 adds IncarnationID and InControlledShutdown.
type RegisterBrokerRecord struct {
	ID                   int32
	Epoch                int64 // 0: the offset of this record's entry
	IncarnationID        Uuid  // random per broker process start (v1+)
	Rack                 *string
	Endpoints            []Endpoint
	Fenced               bool
	InControlledShutdown bool // v1+; only snapshots write true
}

// UnregisterBrokerRecord removes a broker's registration (Kafka's apiKey
// 1, the UnregisterBroker API). Epoch must be the broker's current epoch.
type UnregisterBrokerRecord struct {
	ID    int32
	Epoch int64
}

// FenceBrokerRecord fences a broker (Kafka's apiKey 7): it may no longer
// lead partitions nor join ISRs. Epoch must be the broker's current epoch.
type FenceBrokerRecord struct {
	ID    int32
	Epoch int64
}

// UnfenceBrokerRecord unfences a broker (Kafka's apiKey 8). Epoch must be
// the broker's current epoch.
type UnfenceBrokerRecord struct {
	ID    int32
	Epoch int64
}

// Values of BrokerRegistrationChangeRecord.Fenced, as in Kafka.
const (
	BrokerUnfence       int8 = -1
	BrokerFenceNoChange int8 = 0
	BrokerFence         int8 = 1
)

// BrokerRegistrationChangeRecord changes the state of a registration
// (Kafka's apiKey 17). Epoch must be the broker's current epoch.
type BrokerRegistrationChangeRecord struct {
	ID    int32
	Epoch int64
	// Fenced: BrokerUnfence, BrokerFenceNoChange or BrokerFence.
	Fenced int8
	// InControlledShutdown: 0 no change, 1 the broker entered controlled
	// shutdown. Only a new registration leaves controlled shutdown.
	InControlledShutdown int8
}

// TopicRecord creates a topic with no partitions; PartitionRecords follow.
type TopicRecord struct {
	Name     string
	ID       Uuid
	Internal bool // e.g. __consumer_offsets; Kafka derives this from the name
}

// PartitionRecord creates a partition, or replaces it wholesale (used by
// snapshots). Partition must be ≤ the current count.
//
// Version 1 adds AddingReplicas and RemovingReplicas (KIP-455), set while a
// reassignment is in progress; nil or empty when none is. Version 2 adds
// ELR and LastKnownELR (KIP-966, Kafka's EligibleLeaderReplicas and
// LastKnownElr tagged fields); nil or empty when there are none.
type PartitionRecord struct {
	TopicID          Uuid
	Partition        int32
	Replicas         []int32
	ISR              []int32
	Leader           int32
	LeaderEpoch      int32
	PartitionEpoch   int32
	AddingReplicas   []int32 // v1+
	RemovingReplicas []int32 // v1+
	ELR              []int32 // v2+
	LastKnownELR     []int32 // v2+
}

// NoLeaderChange in PartitionChangeRecord.Leader leaves the leader as is
// (Kafka's NO_LEADER_CHANGE).
const NoLeaderChange int32 = -2

// PartitionChangeRecord changes the ISR, leader, replicas or reassignment
// state of a partition. Nil slices mean "unchanged"; an empty
// AddingReplicas or RemovingReplicas clears it. A leader change bumps
// LeaderEpoch; every change bumps PartitionEpoch.
//
// Version 1 adds AddingReplicas and RemovingReplicas (KIP-455); version 2
// ELR and LastKnownELR (KIP-966). An empty, non-nil ISR empties the ISR
// (possible since KIP-966).
type PartitionChangeRecord struct {
	TopicID          Uuid
	Partition        int32
	Leader           int32   // NoLeaderChange, -1 (offline) or a broker id
	ISR              []int32 // nil: unchanged
	Replicas         []int32 // nil: unchanged
	AddingReplicas   []int32 // v1+; nil: unchanged, empty: cleared
	RemovingReplicas []int32 // v1+; nil: unchanged, empty: cleared
	ELR              []int32 // v2+; nil: unchanged, empty: cleared
	LastKnownELR     []int32 // v2+; nil: unchanged, empty: cleared
}

// RemoveTopicRecord deletes a topic, its partitions and its dynamic configs.
type RemoveTopicRecord struct {
	ID Uuid
}

// ConfigRecord sets (Value != nil) or deletes (Value == nil) one dynamic config.
type ConfigRecord struct {
	ResourceType ConfigResourceType
	ResourceName string
	Name         string
	Value        *string
}

// ProducerIdsRecord records that the producer ids below NextProducerID have
// been handed out (the last block went to BrokerID).
type ProducerIdsRecord struct {
	BrokerID       int32
	BrokerEpoch    int64
	NextProducerID int64
}

// ClientQuotaRecord sets (or, with Remove, deletes) one client quota of an
// entity (Kafka's apiKey 14, KIP-546). Entity lists the entity's parts, at
// most one per type (QuotaUser, QuotaClientID, QuotaIP); a nil Name is the
// default entity of that type. Value is ignored when Remove is set.
type ClientQuotaRecord struct {
	Entity []QuotaEntityData
	Key    string
	Value  float64
	Remove bool
}

// QuotaEntityData is one part of a client quota entity, as in Kafka's
// ClientQuotaRecord.EntityData.
type QuotaEntityData struct {
	Type string  // QuotaUser, QuotaClientID or QuotaIP
	Name *string // nil: the default entity of Type
}

func (*ClientQuotaRecord) Type() RecordType      { return ClientQuotaRecordType }
func (*ClusterIDRecord) Type() RecordType        { return ClusterIDRecordType }
func (*RegisterBrokerRecord) Type() RecordType   { return RegisterBrokerRecordType }
func (*TopicRecord) Type() RecordType            { return TopicRecordType }
func (*PartitionRecord) Type() RecordType        { return PartitionRecordType }
func (*PartitionChangeRecord) Type() RecordType  { return PartitionChangeRecordType }
func (*RemoveTopicRecord) Type() RecordType      { return RemoveTopicRecordType }
func (*ConfigRecord) Type() RecordType           { return ConfigRecordType }
func (*ProducerIdsRecord) Type() RecordType      { return ProducerIdsRecordType }
func (*FenceBrokerRecord) Type() RecordType      { return FenceBrokerRecordType }
func (*UnregisterBrokerRecord) Type() RecordType { return UnregisterBrokerRecordType }
func (*UnfenceBrokerRecord) Type() RecordType    { return UnfenceBrokerRecordType }
func (*BrokerRegistrationChangeRecord) Type() RecordType {
	return BrokerRegistrationChangeRecordType
}

func (*ClientQuotaRecord) version() uint16              { return 0 }
func (*ClusterIDRecord) version() uint16                { return 0 }
func (*RegisterBrokerRecord) version() uint16           { return 1 }
func (*TopicRecord) version() uint16                    { return 0 }
func (*PartitionRecord) version() uint16                { return 2 }
func (*PartitionChangeRecord) version() uint16          { return 2 }
func (*RemoveTopicRecord) version() uint16              { return 0 }
func (*ConfigRecord) version() uint16                   { return 0 }
func (*ProducerIdsRecord) version() uint16              { return 0 }
func (*FenceBrokerRecord) version() uint16              { return 0 }
func (*UnregisterBrokerRecord) version() uint16         { return 0 }
func (*UnfenceBrokerRecord) version() uint16            { return 0 }
func (*BrokerRegistrationChangeRecord) version() uint16 { return 0 }
