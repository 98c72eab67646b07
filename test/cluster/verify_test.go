package cluster

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strom-project/strom/internal/teststrom"
	"github.com/strom-project/strom/internal/testutil"
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
// high watermark, by assignment and read_uncommitted.
func readLog(t *testing.T, c *teststrom.Cluster, topic string) map[int32]*partitionLog {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), readTimeout)
	defer cancel()
	adm := kadm.NewClient(newClient(t, c))
	logs := map[int32]*partitionLog{}
	if err := testutil.Poll(readTimeout, func() error {
		starts, err := listOffsets(ctx, adm.ListStartOffsets, topic)
		if err != nil {
			return err
		}
		ends, err := listOffsets(ctx, adm.ListEndOffsets, topic)
		if err != nil {
			return err
		}
		for p := range int32(partitions) {
			logs[p] = &partitionLog{start: starts[p], end: ends[p]}
		}
		return nil
	}); err != nil {
		t.Fatalf("listing the offsets of %s: %v\n%s", topic, err, c.LogTails(40))
	}
	assign := map[int32]kgo.Offset{}
	for p := range int32(partitions) {
		assign[p] = kgo.NewOffset().At(logs[p].start)
	}
	cl := newClient(t, c, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: assign}),
		kgo.FetchIsolationLevel(kgo.ReadUncommitted()))
	var lastErr error
	for !readToEnd(logs) {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("reading %s back within %v: %v (last fetch error: %v)\n%s\n%s", topic, readTimeout, ctx.Err(), lastErr, progress(logs), c.LogTails(40))
		}
		fs.EachError(func(_ string, p int32, err error) { lastErr = fmt.Errorf("partition %d: %w", p, err) })
		fs.EachRecord(func(r *kgo.Record) {
			if pl := logs[r.Partition]; r.Offset < pl.end {
				pl.records = append(pl.records, logRecord{offset: r.Offset, value: r.Value})
			}
		})
	}
	return logs
}

func listOffsets(ctx context.Context, list func(context.Context, ...string) (kadm.ListedOffsets, error), topic string) (map[int32]int64, error) {
	lo, err := list(ctx, topic)
	if err == nil {
		err = lo.Error()
	}
	if err != nil {
		return nil, err
	}
	out := map[int32]int64{}
	for p := range int32(partitions) {
		o, ok := lo.Lookup(topic, p)
		if !ok {
			return nil, fmt.Errorf("no offset listed for partition %d", p)
		}
		out[p] = o.Offset
	}
	return out, nil
}

// readToEnd reports whether every partition has been read up to its end.
func readToEnd(logs map[int32]*partitionLog) bool {
	for _, pl := range logs {
		if pl.end > pl.start && (len(pl.records) == 0 || pl.records[len(pl.records)-1].offset < pl.end-1) {
			return false
		}
	}
	return true
}

func progress(logs map[int32]*partitionLog) string {
	var s string
	for p := range int32(len(logs)) {
		pl := logs[p]
		s += fmt.Sprintf("partition %d: [%d, %d), %d records read\n", p, pl.start, pl.end, len(pl.records))
	}
	return s
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
