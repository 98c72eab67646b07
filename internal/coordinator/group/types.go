package group

import "time"

// Protocol is one assignment protocol a member supports, with its
// subscription metadata (opaque to the broker).
type Protocol struct {
	Name     string
	Metadata []byte
}

// JoinRequest is a JoinGroup request, version differences resolved by the
// API layer.
type JoinRequest struct {
	Group            string
	MemberID         string  // "" on a first join
	InstanceID       *string // static membership (KIP-345), v5+
	ProtocolType     string
	Protocols        []Protocol // in the member's order of preference
	SessionTimeout   time.Duration
	RebalanceTimeout time.Duration // v0: the session timeout
	ClientID         string
	ClientHost       string
	// RequireKnownMemberID: v4+ dynamic members get MEMBER_ID_REQUIRED and a
	// member id on their first join (KIP-394).
	RequireKnownMemberID bool
	// SupportsSkipAssignment: v9+ (KIP-814), a static leader rejoining a
	// stable group is told it leads but need not assign.
	SupportsSkipAssignment bool
	Reason                 string
}

// JoinResult answers a JoinRequest. Err is nil or one of the package's
// errors; MemberID is set on MEMBER_ID_REQUIRED too.
type JoinResult struct {
	Err            error
	MemberID       string
	Generation     int32 // -1 on error
	ProtocolType   *string
	Protocol       *string
	LeaderID       string
	SkipAssignment bool
	Members        []JoinMember // only for the leader
}

// JoinMember is one member's metadata for the selected protocol, given to
// the leader.
type JoinMember struct {
	MemberID   string
	InstanceID *string
	Metadata   []byte
}

// SyncRequest is a SyncGroup request. ProtocolType and Protocol (v5+) are
// checked against the group's when set.
type SyncRequest struct {
	Group        string
	Generation   int32
	MemberID     string
	InstanceID   *string
	ProtocolType *string
	Protocol     *string
	Assignments  map[string][]byte // from the leader: member id → assignment
}

// SyncResult answers a SyncRequest.
type SyncResult struct {
	Err          error
	ProtocolType *string
	Protocol     *string
	Assignment   []byte
}

// HeartbeatRequest is a Heartbeat request.
type HeartbeatRequest struct {
	Group      string
	Generation int32
	MemberID   string
	InstanceID *string
}

// LeaveMember names one leaving member: by member id, or (admin removal of
// a static member) by instance id with an empty member id.
type LeaveMember struct {
	MemberID   string
	InstanceID *string
	Reason     string
}

// LeaveResult is the outcome for one LeaveMember; MemberID is resolved
// from the instance id when the request named only that.
type LeaveResult struct {
	MemberID   string
	InstanceID *string
	Err        error
}

// TopicPartition names a partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// CommitOffset is one partition of an OffsetCommit.
type CommitOffset struct {
	TopicPartition
	Offset      int64
	LeaderEpoch int32   // -1: unknown
	Metadata    *string // nil: none
	Timestamp   int64   // v1 only; -1: now
}

// CommitRequest is an OffsetCommit request. Generation -1 with an empty
// member id is a commit from outside group management (admin tools,
// standalone consumers); it is allowed only while the group has no members.
type CommitRequest struct {
	Group      string
	Generation int32
	MemberID   string
	InstanceID *string
	// RetentionMs (v2–4, -1 = broker default) makes the commit expire at a
	// fixed time, Kafka's pre-2.1 semantics.
	RetentionMs int64
	Offsets     []CommitOffset
}

// OffsetData is a committed offset as OffsetFetch returns it; Offset -1
// means none.
type OffsetData struct {
	TopicPartition
	Offset      int64
	LeaderEpoch int32
	Metadata    string
	// Unstable: a transaction has an offset of the partition pending, so
	// OffsetFetch with require_stable answers UNSTABLE_OFFSET_COMMIT.
	Unstable bool
}

// MemberDescription is one member in DescribeGroups.
type MemberDescription struct {
	MemberID   string
	InstanceID *string
	ClientID   string
	ClientHost string
	Metadata   []byte // only when the group is Stable
	Assignment []byte // only when the group is Stable
}

// GroupDescription is DescribeGroups' view of a group. A group that does
// not exist is reported in state Dead with Exists false.
type GroupDescription struct {
	Group        string
	Exists       bool
	State        string
	ProtocolType string
	Protocol     string
	Members      []MemberDescription
}

// GroupListing is one ListGroups entry.
type GroupListing struct {
	Group        string
	ProtocolType string
	State        string
}

// Lag is one committed partition of a group with its partition's high
// watermark (-1 when this broker does not host the partition).
type Lag struct {
	Group         string
	Topic         string
	Partition     int32
	Committed     int64
	HighWatermark int64
	Lag           int64 // HighWatermark - Committed, or -1 when unknown
}
