package replica

import (
	"strconv"
	"strings"

	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/storage"
)

// ResolveLogConfig maps topic configs (overrides, else broker synonyms,
// else defaults) onto storage.LogConfig. b is the broker configuration:
// *config.Dynamic for the dynamic broker configs of an image, or
// *config.Broker for the static ones alone.
func ResolveLogConfig(b config.Resolver, overrides map[string]string) storage.LogConfig {
	get := func(name string) string { v, _, _ := b.TopicValue(name, overrides); return v }
	num := func(name string) int64 { n, _ := strconv.ParseInt(get(name), 10, 64); return n }
	tt := storage.CreateTime
	if get("message.timestamp.type") == "LogAppendTime" {
		tt = storage.LogAppendTime
	}
	// Under a compact-only policy storage skips time/size retention itself
	// (Kafka's config.delete); the cleaner compacts instead.
	var policy storage.CleanupPolicy
	for _, p := range strings.Split(get("cleanup.policy"), ",") {
		switch strings.TrimSpace(p) {
		case "delete":
			policy |= storage.CleanupDelete
		case "compact":
			policy |= storage.CleanupCompact
		}
	}
	ratio, _ := strconv.ParseFloat(get("min.cleanable.dirty.ratio"), 64)
	compression := storage.CompressionConfig{Type: storage.ParseCompressionType(get("compression.type")),
		GzipLevel: int(num("compression.gzip.level")), LZ4Level: int(num("compression.lz4.level")),
		ZstdLevel: int(num("compression.zstd.level"))}
	return storage.LogConfig{
		SegmentBytes:           num("segment.bytes"),
		SegmentMs:              num("segment.ms"),
		SegmentIndexBytes:      int32(num("segment.index.bytes")),
		IndexIntervalBytes:     int32(num("index.interval.bytes")),
		RetentionMs:            num("retention.ms"),
		RetentionBytes:         num("retention.bytes"),
		FlushMessages:          num("flush.messages"),
		FlushMs:                num("flush.ms"),
		MaxMessageBytes:        int32(num("max.message.bytes")),
		Compression:            compression,
		TimestampType:          tt,
		TimestampBeforeMaxMs:   num("message.timestamp.before.max.ms"),
		TimestampAfterMaxMs:    num("message.timestamp.after.max.ms"),
		FileDeleteDelayMs:      num("file.delete.delay.ms"),
		Preallocate:            get("preallocate") == "true",
		ProducerIDExpirationMs: b.Int("producer.id.expiration.ms"),
		CleanupPolicy:          policy,
		MinCleanableDirtyRatio: ratio,
		MinCompactionLagMs:     num("min.compaction.lag.ms"),
		MaxCompactionLagMs:     num("max.compaction.lag.ms"),
		DeleteRetentionMs:      num("delete.retention.ms"),
		Complete:               true,
	}
}

// ResolveMinISR is a topic's min.insync.replicas: its override, else the
// broker's min.insync.replicas, else 1.
func ResolveMinISR(b config.Resolver, overrides map[string]string) int32 {
	v, _, _ := b.TopicValue("min.insync.replicas", overrides)
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil || n < 1 {
		return 1
	}
	return int32(n)
}
