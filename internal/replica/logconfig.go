package replica

import (
	"slices"
	"strconv"
	"strings"

	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/storage"
)

// ResolveLogConfig maps topic configs (overrides, else broker synonyms,
// else defaults) onto storage.LogConfig.
func ResolveLogConfig(b *config.Broker, overrides map[string]string) storage.LogConfig {
	get := func(name string) string { v, _, _ := b.TopicValue(name, overrides); return v }
	num := func(name string) int64 { n, _ := strconv.ParseInt(get(name), 10, 64); return n }
	tt := storage.CreateTime
	if get("message.timestamp.type") == "LogAppendTime" {
		tt = storage.LogAppendTime
	}
	retentionMs, retentionBytes := num("retention.ms"), num("retention.bytes")
	if !slices.ContainsFunc(strings.Split(get("cleanup.policy"), ","), func(p string) bool { return strings.TrimSpace(p) == "delete" }) {
		// Kafka deletes segments by time or size only under the "delete"
		// policy; a compact-only topic (__consumer_offsets) keeps them for
		// the cleaner, which Strom does not have yet, so nothing is lost.
		retentionMs, retentionBytes = -1, -1
	}
	return storage.LogConfig{
		SegmentBytes:           num("segment.bytes"),
		SegmentMs:              num("segment.ms"),
		SegmentIndexBytes:      int32(num("segment.index.bytes")),
		IndexIntervalBytes:     int32(num("index.interval.bytes")),
		RetentionMs:            retentionMs,
		RetentionBytes:         retentionBytes,
		FlushMessages:          num("flush.messages"),
		FlushMs:                num("flush.ms"),
		MaxMessageBytes:        int32(num("max.message.bytes")),
		TimestampType:          tt,
		TimestampBeforeMaxMs:   num("message.timestamp.before.max.ms"),
		TimestampAfterMaxMs:    num("message.timestamp.after.max.ms"),
		FileDeleteDelayMs:      num("file.delete.delay.ms"),
		Preallocate:            get("preallocate") == "true",
		ProducerIDExpirationMs: b.Int("producer.id.expiration.ms"),
		Complete:               true,
	}
}

// ResolveMinISR is a topic's min.insync.replicas: its override, else the
// broker's min.insync.replicas, else 1.
func ResolveMinISR(b *config.Broker, overrides map[string]string) int32 {
	v, _, _ := b.TopicValue("min.insync.replicas", overrides)
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil || n < 1 {
		return 1
	}
	return int32(n)
}
