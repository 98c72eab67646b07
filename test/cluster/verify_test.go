package cluster

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strom-project/strom/internal/teststrom"
	"github.com/strom-project/strom/internal/testutil/topiclog"
)

// logRecord is one record as read back.
type logRecord struct {
	offset int64
	value  []byte
}

// partitionLog is one partition as read back: [start, end) and its records.
type partitionLog struct {
	start, end int64
	records    []logRecord
}

// readLog reads every partition of topic from its log start offset to its
// high watermark, by assignment and read_uncommitted (opts may change that).
func readLog(t *testing.T, c *teststrom.Cluster, topic string, opts ...kgo.Opt) map[int32]*partitionLog {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), readTimeout)
	defer cancel()
	read, err := topiclog.Read(ctx, topic, partitions, readTimeout,
		append([]kgo.Opt{kgo.SeedBrokers(c.Bootstrap()...), kgo.MetadataMinAge(100 * time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatalf("%v\n%s", err, c.LogTails(40))
	}
	logs := make(map[int32]*partitionLog, len(read))
	for p, rp := range read {
		pl := &partitionLog{start: rp.Start, end: rp.End}
		for _, r := range rp.Records {
			if r.Offset < rp.End { // only what was committed when reading began
				pl.records = append(pl.records, logRecord{offset: r.Offset, value: r.Value})
			}
		}
		logs[p] = pl
	}
	return logs
}

// report is what one check found; anomalies holds the first few, described.
type report struct {
	attempted, acked, failed, unackedPresent int
	lost, moved, dup, order, gaps, unknown   int
	anomalies                                []string
}

func (r *report) anomaly(count *int, format string, args ...any) {
	*count++
	if len(r.anomalies) < 12 {
		r.anomalies = append(r.anomalies, fmt.Sprintf(format, args...))
	}
}

// check compares the log with what the producer attempted (ops, indexed by
// sequence) and had acknowledged.
func check(ops []op, logs map[int32]*partitionLog) report {
	r := report{attempted: len(ops)}
	type place struct {
		partition int32
		offset    int64
	}
	seen := map[int]place{}
	for p := range int32(len(logs)) {
		pl := logs[p]
		next, last := pl.start, -1
		for _, rec := range pl.records {
			if rec.offset != next {
				r.anomaly(&r.gaps, "partition %d: offset %d follows %d", p, rec.offset, next-1)
			}
			next = rec.offset + 1
			seq, ok := parseValue(rec.value)
			if !ok || seq >= len(ops) || ops[seq].partition != p {
				r.anomaly(&r.unknown, "partition %d offset %d: value %.20q was never sent to it", p, rec.offset, rec.value)
				continue
			}
			if at, dup := seen[seq]; dup {
				r.anomaly(&r.dup, "%s at offsets %d and %d of partition %d", rec.value, at.offset, rec.offset, p)
				continue
			}
			seen[seq] = place{p, rec.offset}
			if seq < last {
				r.anomaly(&r.order, "partition %d offset %d: %s after v%09d", p, rec.offset, rec.value, last)
			}
			last = seq
		}
	}
	for seq, o := range ops {
		at, found := seen[seq]
		switch {
		case o.acked:
			r.acked++
			if !found {
				r.anomaly(&r.lost, "v%09d acknowledged at %d/%d is not in the log", seq, o.partition, o.offset)
			} else if at.offset != o.offset {
				r.anomaly(&r.moved, "v%09d acknowledged at %d/%d is at offset %d", seq, o.partition, o.offset, at.offset)
			}
		case found:
			r.unackedPresent++
		}
		if !o.acked && !o.done.IsZero() {
			r.failed++
		}
	}
	return r
}

// failures returns an error describing r's anomalies, or nil.
func (r report) failures() error {
	if r.lost+r.moved+r.dup+r.order+r.gaps+r.unknown == 0 {
		return nil
	}
	return fmt.Errorf("lost %d, moved %d, dup %d, order %d, gaps %d, unknown %d; first anomalies:\n  %s",
		r.lost, r.moved, r.dup, r.order, r.gaps, r.unknown, strings.Join(r.anomalies, "\n  "))
}
