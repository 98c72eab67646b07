package storage

// This file is the contract between the log layer and the rest of the broker.
// Implementation lives in the other files of this package.

import (
	"errors"
	"log/slog"
	"time"
)

// Errors returned by Log. The API layer maps them to Kafka error codes
// (internal/api/errors.go); nothing below the API layer knows those codes.
var (
	ErrCorruptMessage       = errors.New("storage: record batch failed CRC or structural validation") // CORRUPT_MESSAGE
	ErrInvalidRecord        = errors.New("storage: invalid record")                                   // INVALID_RECORD
	ErrRecordTooLarge       = errors.New("storage: record batch larger than max.message.bytes")       // MESSAGE_TOO_LARGE
	ErrUnsupportedMagic     = errors.New("storage: record batch magic is not 2")                      // UNSUPPORTED_FOR_MESSAGE_FORMAT
	ErrInvalidTimestamp     = errors.New("storage: timestamp out of the allowed range")               // INVALID_TIMESTAMP
	ErrOutOfOrderSequence   = errors.New("storage: out of order sequence number")                     // OUT_OF_ORDER_SEQUENCE_NUMBER
	ErrInvalidProducerEpoch = errors.New("storage: producer epoch is older than the current one")     // INVALID_PRODUCER_EPOCH
	// ErrCoordinatorFenced: a transaction marker from a coordinator older
	// than the last one seen (TRANSACTION_COORDINATOR_FENCED).
	ErrCoordinatorFenced = errors.New("storage: transaction coordinator epoch is older than the current one")
	ErrOffsetOutOfRange  = errors.New("storage: offset out of range") // OFFSET_OUT_OF_RANGE
	ErrLogClosed         = errors.New("storage: log is closed")       // NOT_LEADER_OR_FOLLOWER (partition going away)
	ErrStorage           = errors.New("storage: I/O error")           // KAFKA_STORAGE_ERROR
)

// TimestampType is message.timestamp.type.
type TimestampType int8

const (
	CreateTime    TimestampType = 0
	LogAppendTime TimestampType = 1
)

// LogConfig is the per-partition configuration, resolved from topic configs
// with broker defaults (Kafka names in comments).
type LogConfig struct {
	SegmentBytes         int64         // segment.bytes (log.segment.bytes), default 1 GiB
	SegmentMs            int64         // segment.ms (log.roll.ms), default 7 days
	SegmentIndexBytes    int32         // segment.index.bytes, default 10 MiB
	IndexIntervalBytes   int32         // index.interval.bytes, default 4096
	RetentionMs          int64         // retention.ms, -1 = forever, default 7 days
	RetentionBytes       int64         // retention.bytes, -1 = unlimited
	FlushMessages        int64         // flush.messages; 1 = fsync before ack (group commit); default MaxInt64
	FlushMs              int64         // flush.ms; default MaxInt64
	MaxMessageBytes      int32         // max.message.bytes (message.max.bytes), default 1048588
	TimestampType        TimestampType // message.timestamp.type
	TimestampBeforeMaxMs int64         // message.timestamp.before.max.ms, default MaxInt64
	TimestampAfterMaxMs  int64         // message.timestamp.after.max.ms, default MaxInt64
	FileDeleteDelayMs    int64         // file.delete.delay.ms, default 60000
	Preallocate          bool          // preallocate segment files (Kafka: preallocate)
	// Compression is compression.type with its KIP-390 levels; the zero
	// value is producer (batches are stored in the producer's codec).
	Compression CompressionConfig
	// ProducerIDExpirationMs is producer.id.expiration.ms (default 1 day):
	// idle producers' dedupe state is dropped after it.
	ProducerIDExpirationMs int64
	// CleanupPolicy is cleanup.policy; zero means delete.
	CleanupPolicy CleanupPolicy
	// MinCleanableDirtyRatio is min.cleanable.dirty.ratio (default 0.5).
	MinCleanableDirtyRatio float64
	MinCompactionLagMs     int64 // min.compaction.lag.ms, default 0
	MaxCompactionLagMs     int64 // max.compaction.lag.ms, default MaxInt64
	// DeleteRetentionMs is delete.retention.ms (default 1 day): how long
	// tombstones survive after the cleaner first saw them (KIP-534).
	DeleteRetentionMs int64
	// Complete says every field was resolved from configs (the broker
	// always does): zero then means zero (file.delete.delay.ms=0,
	// retention.ms=0 and flush.ms=0 are legal in Kafka). Without it, zero
	// fields take Kafka's defaults, which suits partial literals in tests.
	Complete bool
}

// CleanupPolicy is cleanup.policy as bits, so "compact,delete" is both.
// Persisted nowhere, but numbered explicitly anyway.
type CleanupPolicy uint8

const (
	CleanupDelete  CleanupPolicy = 1
	CleanupCompact CleanupPolicy = 2
)

// Compact reports whether the log is cleaned (compacted).
func (c *LogConfig) Compact() bool { return c.CleanupPolicy&CleanupCompact != 0 }

// Delete reports whether retention.ms / retention.bytes delete segments.
func (c *LogConfig) Delete() bool { return c.CleanupPolicy&CleanupDelete != 0 }

// Options for opening a Log.
type Options struct {
	Dir    string // the partition directory, e.g. <log.dir>/<topic>-<partition>
	Config LogConfig
	// Now is the clock; nil means time.Now. Tests and the fault suite inject one.
	Now    func() time.Time
	Logger *slog.Logger
	// FS is the filesystem; nil means the real one (OSFS). The fault suite
	// slots in one that loses unsynced data or injects errors.
	FS FS
	// Clean is true when the log dir held a clean-shutdown marker: recovery may
	// trust the recovery point and skip scanning.
	Clean bool
	// RecoveryPoint is the offset below which data is known flushed (from the
	// recovery-point-offset-checkpoint file); recovery scans from the segment
	// containing it.
	RecoveryPoint int64
	// LogStartOffset is the checkpointed log start offset (from
	// log-start-offset-checkpoint); the log starts at the larger of it and
	// the first segment's base offset.
	LogStartOffset int64
	// HighWatermark is the checkpointed high watermark (from
	// replication-offset-checkpoint); the log's HW starts at the smaller of
	// it and the log end offset, so a restarted replica never claims more
	// than was committed when it stopped. Negative means "no checkpoint,
	// trust the log": the HW starts at the log end offset (a log used
	// outside replication).
	HighWatermark int64
	// Space is the log dir's free-space reserve, shared by its logs (the
	// Manager's); nil means none.
	Space *DirSpace
}

// AppendOptions describe one Produce partition write.
type AppendOptions struct {
	LeaderEpoch int32 // stamped into each batch's PartitionLeaderEpoch field
	// RequiredAcks is the produce acks; with FlushMessages==1 and acks != 0
	// Append returns only once the data is fsynced (group commit).
	RequiredAcks int16
	// Origin says who is appending; the zero value is a client Produce.
	Origin AppendOrigin
}

// AppendOrigin is Kafka's AppendOrigin.
type AppendOrigin int8

const (
	// AppendClient: a Produce request. Full validation, idempotence checks,
	// offsets and the leader epoch are assigned; control batches rejected.
	AppendClient AppendOrigin = 0
	// AppendReplication: a follower appending what it fetched from the
	// leader. Batches keep their offsets and leader epochs (which feed the
	// epoch cache); only integrity is checked; base offsets must be >= LEO.
	AppendReplication AppendOrigin = 1
	// AppendCoordinator: the broker's own writes (transaction markers,
	// coordinator records). Like AppendClient, but control batches are
	// allowed and producer sequences are not checked.
	AppendCoordinator AppendOrigin = 2
)

// AppendResult is what the producer is told.
type AppendResult struct {
	BaseOffset     int64 // offset of the first record appended (or of the original, for a duplicate)
	LastOffset     int64
	LogAppendTime  int64 // -1 unless message.timestamp.type=LogAppendTime
	LogStartOffset int64
	Duplicate      bool // the batch repeated one already in the log (idempotent retry)
}

// ReadResult is raw record-batch bytes, exactly as stored.
type ReadResult struct {
	Records        []byte // whole batches; empty when there is nothing at offset
	HighWatermark  int64
	LogStartOffset int64
	LogEndOffset   int64
}

// EpochEndOffset answers OffsetForLeaderEpoch.
type EpochEndOffset struct {
	LeaderEpoch int32
	EndOffset   int64
}

// ProducerEntry is per-producer state for DescribeProducers and restarts.
type ProducerEntry struct {
	ProducerID    int64
	ProducerEpoch int16
	LastSequence  int32
	LastTimestamp int64
	// CoordinatorEpoch is that of the producer's last transaction marker
	// (-1: none); CurrentTxnStartOffset the first offset of its open
	// transaction (-1: none). DescribeProducers reports both.
	CoordinatorEpoch      int32
	CurrentTxnStartOffset int64
}
