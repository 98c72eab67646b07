package replica

import (
	"testing"

	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/storage"
)

func TestResolveLogConfig(t *testing.T) {
	b, err := config.Load("", []string{"log.segment.bytes=1048576", "log.retention.hours=2", "log.flush.interval.messages=1"})
	if err != nil {
		t.Fatal(err)
	}
	got := ResolveLogConfig(b, map[string]string{"retention.ms": "0", "file.delete.delay.ms": "0", "message.timestamp.type": "LogAppendTime"})
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"segment.bytes from log.segment.bytes", got.SegmentBytes, 1 << 20},
		{"retention.ms=0 stays 0", got.RetentionMs, 0},
		{"file.delete.delay.ms=0 stays 0", got.FileDeleteDelayMs, 0},
		{"flush.messages from log.flush.interval.messages", got.FlushMessages, 1},
		{"retention.bytes default", got.RetentionBytes, -1},
		{"max.message.bytes default", int64(got.MaxMessageBytes), 1048588},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.name, c.got, c.want)
		}
	}
	if got.TimestampType != storage.LogAppendTime || !got.Complete || !got.Preallocate {
		t.Errorf("timestamp type %d complete %v preallocate %v", got.TimestampType, got.Complete, got.Preallocate)
	}
	if d := ResolveLogConfig(b, nil); d.RetentionMs != 2*3600*1000 {
		t.Errorf("retention.ms from log.retention.hours=2: %d", d.RetentionMs)
	}
	// The policy reaches storage, which applies time and size retention
	// only under "delete" and compacts under "compact".
	for policy, want := range map[string]storage.CleanupPolicy{
		"compact": storage.CleanupCompact, "compact,delete": storage.CleanupCompact | storage.CleanupDelete, "delete": storage.CleanupDelete,
	} {
		c := ResolveLogConfig(b, map[string]string{"cleanup.policy": policy, "min.cleanable.dirty.ratio": "0.01", "delete.retention.ms": "5"})
		if c.CleanupPolicy != want || c.MinCleanableDirtyRatio != 0.01 || c.DeleteRetentionMs != 5 || c.MaxCompactionLagMs <= 0 {
			t.Errorf("cleanup.policy=%s: %+v", policy, c)
		}
	}
}
