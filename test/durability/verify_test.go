package durability

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strom-project/strom/internal/teststrom"
	"github.com/strom-project/strom/internal/testutil/topiclog"
)

// logRecord is one record as read back.
type logRecord struct {
	offset     int64
	value      []byte
	producerID int64
}

// partitionLog is one partition as read back: [start, end) and its records.
type partitionLog struct {
	start, end int64
	records    []logRecord
}

// readLog reads every partition of topic from its log start offset to its
// high watermark, by assignment, once the broker lists offsets for all of them.
func readLog(t *testing.T, b *teststrom.Broker, topic string, partitions int32) map[int32]*partitionLog {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), readTimeout)
	defer cancel()
	read, err := topiclog.Read(ctx, topic, partitions, readyTimeout, kgo.SeedBrokers(b.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	logs := make(map[int32]*partitionLog, len(read))
	for p, rp := range read {
		pl := &partitionLog{start: rp.Start, end: rp.End}
		for _, r := range rp.Records {
			pl.records = append(pl.records, logRecord{offset: r.Offset, value: r.Value, producerID: r.ProducerID})
		}
		logs[p] = pl
	}
	return logs
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
	acked, recovered, inDoubt                           int
	lost, dup, order, gaps, unknown, rewritten, pidBugs int
	anomalies                                           []string
}

func (r *report) anomaly(count *int, format string, args ...any) {
	*count++
	if len(r.anomalies) < 12 {
		r.anomalies = append(r.anomalies, fmt.Sprintf(format, args...))
	}
}

// check compares the log with the ledger and, when prev is not nil, with the
// log read before the last crash, which must be a prefix of this one.
func check(acked [][]bool, logs, prev map[int32]*partitionLog) report {
	var r report
	type id struct{ s, seq int }
	seen := map[id]int64{}
	pids := map[int64]map[int]bool{} // producer id → sessions that wrote with it
	for p := range int32(len(logs)) {
		pl := logs[p]
		next, last := pl.start, id{-1, -1}
		for i, rec := range pl.records {
			if rec.offset != next {
				r.anomaly(&r.gaps, "partition %d: offset %d follows %d", p, rec.offset, next-1)
			}
			next = rec.offset + 1
			if prev != nil && i < len(prev[p].records) {
				if old := prev[p].records[i]; old.offset != rec.offset || string(old.value) != string(rec.value) {
					r.anomaly(&r.rewritten, "partition %d: record %d was %d=%.12q, now %d=%.12q", p, i, old.offset, old.value, rec.offset, rec.value)
				}
			}
			s, seq, ok := parseValue(rec.value)
			if !ok || s >= len(acked) || seq >= len(acked[s]) || int32(seq)%int32(len(logs)) != p {
				r.anomaly(&r.unknown, "partition %d offset %d: value %.20q was never sent to it", p, rec.offset, rec.value)
				continue
			}
			v := id{s, seq}
			if at, dup := seen[v]; dup {
				r.anomaly(&r.dup, "value %.12s at offsets %d and %d of partition %d", rec.value, at, rec.offset, p)
				continue
			}
			seen[v] = rec.offset
			if v.s < last.s || v.s == last.s && v.seq < last.seq {
				r.anomaly(&r.order, "partition %d offset %d: %.12s after s%02d-%08d", p, rec.offset, rec.value, last.s, last.seq)
			}
			last = v
			if pids[rec.producerID] == nil {
				pids[rec.producerID] = map[int]bool{}
			}
			pids[rec.producerID][s] = true
		}
		if prev != nil && len(pl.records) < len(prev[p].records) {
			r.anomaly(&r.rewritten, "partition %d shrank from %d to %d records", p, len(prev[p].records), len(pl.records))
		}
	}
	for pid, sessions := range pids {
		if pid < 0 || len(sessions) > 1 {
			r.anomaly(&r.pidBugs, "producer id %d used by sessions %v", pid, sessions)
		}
	}
	for s := range acked {
		for seq, a := range acked[s] {
			_, found := seen[id{s, seq}]
			switch {
			case a && found:
				r.acked++
				r.recovered++
			case a:
				r.acked++
				r.anomaly(&r.lost, "acknowledged s%02d-%08d (partition %d) is not in the log", s, seq, seq%len(logs))
			case found:
				r.inDoubt++
			}
		}
	}
	return r
}

// failures returns an error describing r's anomalies, or nil.
func (r report) failures() error {
	if r.lost+r.dup+r.order+r.gaps+r.unknown+r.rewritten+r.pidBugs == 0 {
		return nil
	}
	msg := fmt.Sprintf("lost %d, dup %d, order %d, gaps %d, unknown %d, rewritten %d, pid %d; first anomalies:",
		r.lost, r.dup, r.order, r.gaps, r.unknown, r.rewritten, r.pidBugs)
	for _, a := range r.anomalies {
		msg += "\n  " + a
	}
	return errors.New(msg)
}
