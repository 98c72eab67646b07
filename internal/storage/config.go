package storage

import "math"

// Kafka defaults for LogConfig fields.
const (
	DefaultSegmentBytes           = 1 << 30
	DefaultSegmentMs              = 7 * 24 * 60 * 60 * 1000
	DefaultSegmentIndexBytes      = 10 << 20
	DefaultIndexIntervalBytes     = 4096
	DefaultRetentionMs            = 7 * 24 * 60 * 60 * 1000
	DefaultMaxMessageBytes        = 1048588
	DefaultFileDeleteDelayMs      = 60000
	DefaultProducerIDExpirationMs = 86400000
	DefaultDeleteRetentionMs      = 86400000
	DefaultMinCleanableDirtyRatio = 0.5
)

// DefaultLogConfig is Kafka's broker defaults.
func DefaultLogConfig() LogConfig {
	return LogConfig{
		SegmentBytes:           DefaultSegmentBytes,
		SegmentMs:              DefaultSegmentMs,
		SegmentIndexBytes:      DefaultSegmentIndexBytes,
		IndexIntervalBytes:     DefaultIndexIntervalBytes,
		RetentionMs:            DefaultRetentionMs,
		RetentionBytes:         -1,
		FlushMessages:          math.MaxInt64,
		FlushMs:                math.MaxInt64,
		MaxMessageBytes:        DefaultMaxMessageBytes,
		TimestampType:          CreateTime,
		TimestampBeforeMaxMs:   math.MaxInt64,
		TimestampAfterMaxMs:    math.MaxInt64,
		FileDeleteDelayMs:      DefaultFileDeleteDelayMs,
		ProducerIDExpirationMs: DefaultProducerIDExpirationMs,
		CleanupPolicy:          CleanupDelete,
		MinCleanableDirtyRatio: DefaultMinCleanableDirtyRatio,
		MaxCompactionLagMs:     math.MaxInt64,
		DeleteRetentionMs:      DefaultDeleteRetentionMs,
	}
}

// normalized fills zero fields with defaults, so a partly filled LogConfig
// (or the zero value) behaves like Kafka's defaults. Zero is never a useful
// setting for these fields; -1 keeps its Kafka meaning where it has one
// (retention.ms/bytes: unlimited), and FileDeleteDelayMs < 0 means 0.
func (c LogConfig) normalized() LogConfig {
	if c.CleanupPolicy == 0 {
		c.CleanupPolicy = CleanupDelete
	}
	if c.Complete {
		return c
	}
	d := DefaultLogConfig()
	set := func(v *int64, def int64) {
		if *v == 0 {
			*v = def
		}
	}
	set(&c.SegmentBytes, d.SegmentBytes)
	set(&c.SegmentMs, d.SegmentMs)
	set(&c.RetentionMs, d.RetentionMs)
	set(&c.RetentionBytes, d.RetentionBytes)
	set(&c.FlushMessages, d.FlushMessages)
	set(&c.FlushMs, d.FlushMs)
	set(&c.TimestampBeforeMaxMs, d.TimestampBeforeMaxMs)
	set(&c.TimestampAfterMaxMs, d.TimestampAfterMaxMs)
	set(&c.ProducerIDExpirationMs, d.ProducerIDExpirationMs)
	set(&c.MaxCompactionLagMs, d.MaxCompactionLagMs)
	set(&c.DeleteRetentionMs, d.DeleteRetentionMs)
	if c.MinCleanableDirtyRatio <= 0 {
		c.MinCleanableDirtyRatio = d.MinCleanableDirtyRatio
	}
	switch {
	case c.FileDeleteDelayMs == 0:
		c.FileDeleteDelayMs = d.FileDeleteDelayMs
	case c.FileDeleteDelayMs < 0: // explicit "no delay"
		c.FileDeleteDelayMs = 0
	}
	if c.SegmentIndexBytes <= 0 {
		c.SegmentIndexBytes = d.SegmentIndexBytes
	}
	if c.IndexIntervalBytes <= 0 {
		c.IndexIntervalBytes = d.IndexIntervalBytes
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = d.MaxMessageBytes
	}
	return c
}
