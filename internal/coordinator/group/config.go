package group

import (
	"time"

	"github.com/strom-project/strom/internal/config"
)

// Config is the coordinator's share of the broker configuration; each field
// names the Kafka config it comes from and Kafka's default.
type Config struct {
	NumPartitions          int32         // offsets.topic.num.partitions, 50
	ReplicationFactor      int16         // offsets.topic.replication.factor, 3 (capped at the live brokers)
	SegmentBytes           int64         // offsets.topic.segment.bytes, 100 MiB
	Retention              time.Duration // offsets.retention.minutes, 7 days
	RetentionCheckInterval time.Duration // offsets.retention.check.interval.ms, 10 minutes
	MaxMetadataBytes       int           // offset.metadata.max.bytes, 4096
	InitialRebalanceDelay  time.Duration // group.initial.rebalance.delay.ms, 3 s
	MinSessionTimeout      time.Duration // group.min.session.timeout.ms, 6 s
	MaxSessionTimeout      time.Duration // group.max.session.timeout.ms, 30 minutes
	MaxSize                int           // group.max.size, 2^31-1
	// CommitTimeout is offsets.commit.timeout.ms (5 s): how long a write
	// may wait to be replicated. With one replica an append is committed
	// when it returns, so nothing waits on it yet.
	CommitTimeout  time.Duration
	LoadBufferSize int32 // offsets.load.buffer.size, 5 MiB: bytes read per step when loading
}

// DefaultConfig is Kafka's defaults.
func DefaultConfig() Config {
	return Config{
		NumPartitions: 50, ReplicationFactor: 3, SegmentBytes: 100 << 20,
		Retention: 7 * 24 * time.Hour, RetentionCheckInterval: 10 * time.Minute,
		MaxMetadataBytes: 4096, InitialRebalanceDelay: 3 * time.Second,
		MinSessionTimeout: 6 * time.Second, MaxSessionTimeout: 30 * time.Minute,
		MaxSize: 1<<31 - 1, CommitTimeout: 5 * time.Second, LoadBufferSize: 5 << 20,
	}
}

// ConfigFrom reads the group configs of a broker configuration.
func ConfigFrom(b *config.Broker) Config {
	ms := func(name string) time.Duration { return time.Duration(b.Int(name)) * time.Millisecond }
	return Config{
		NumPartitions:          int32(b.Int("offsets.topic.num.partitions")),
		ReplicationFactor:      int16(b.Int("offsets.topic.replication.factor")),
		SegmentBytes:           b.Int("offsets.topic.segment.bytes"),
		Retention:              time.Duration(b.Int("offsets.retention.minutes")) * time.Minute,
		RetentionCheckInterval: ms("offsets.retention.check.interval.ms"),
		MaxMetadataBytes:       int(b.Int("offset.metadata.max.bytes")),
		InitialRebalanceDelay:  ms("group.initial.rebalance.delay.ms"),
		MinSessionTimeout:      ms("group.min.session.timeout.ms"),
		MaxSessionTimeout:      ms("group.max.session.timeout.ms"),
		MaxSize:                int(b.Int("group.max.size")),
		CommitTimeout:          ms("offsets.commit.timeout.ms"),
		LoadBufferSize:         int32(b.Int("offsets.load.buffer.size")),
	}
}
