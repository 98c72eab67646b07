package storage

import (
	"fmt"
	"testing"

	"github.com/strom-project/strom/internal/record"
)

// kv is one record for kvBatch; a nil value is a tombstone.
type kv struct {
	key   string
	value []byte
}

func val(s string) []byte { return []byte(s) }

// kvBatch builds a client batch of the given records at timestamp ts.
func kvBatch(t testing.TB, ts int64, pid int64, seq int32, comp record.Compression, recs ...kv) []byte {
	t.Helper()
	spec := record.BatchSpec{BaseTimestamp: ts, ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Compression: comp}
	if pid >= 0 {
		spec.ProducerID, spec.ProducerEpoch, spec.BaseSequence = pid, 0, seq
	}
	return buildKV(t, spec, recs...)
}

// buildKV builds spec's batch with recs as its records.
func buildKV(t testing.TB, spec record.BatchSpec, recs ...kv) []byte {
	t.Helper()
	for _, r := range recs {
		spec.Records = append(spec.Records, record.NewRecord{Key: []byte(r.key), Value: r.value})
	}
	b, err := record.Build(nil, spec)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// compactConfig is a compacted log with tiny segments.
func compactConfig() LogConfig {
	return LogConfig{SegmentBytes: 600, CleanupPolicy: CleanupCompact, IndexIntervalBytes: 128}
}

// stored is one record as read back from the log.
type stored struct {
	offset     int64
	key, value string
	tombstone  bool
}

// records reads every record from the log start to the LEO.
func (tl *testLog) records() []stored {
	tl.t.Helper()
	var out []stored
	for _, h := range tl.readAllBatches() {
		err := record.ForEachRecord(h, record.Limits{}, func(h *record.Header, r *record.Record) bool {
			out = append(out, stored{h.BaseOffset + int64(r.OffsetDelta), string(r.Key), string(r.Value), r.Value == nil})
			return true
		})
		if err != nil {
			tl.t.Fatalf("reading records: %v", err)
		}
	}
	return out
}

// readAllBatches returns every batch's bytes from the log start.
func (tl *testLog) readAllBatches() [][]byte {
	tl.t.Helper()
	var out [][]byte
	for off := tl.LogStartOffset(); off < tl.LogEndOffset(); {
		res, err := tl.Read(off, 1<<20, true, tl.LogEndOffset())
		if err != nil {
			tl.t.Fatalf("Read(%d): %v", off, err)
		}
		it := record.Iter{Buf: res.Records}
		n := 0
		for it.Next() {
			if _, err := record.CheckIntegrity(it.Batch); err != nil {
				tl.t.Fatalf("batch at %d: %v", it.Header.BaseOffset, err)
			}
			out = append(out, append([]byte(nil), it.Batch...))
			off = it.Header.NextOffset()
			n++
		}
		if n == 0 {
			tl.t.Fatalf("Read(%d): nothing below LEO %d", off, tl.LogEndOffset())
		}
	}
	return out
}

// cleanNow runs one cleaning round from checkpoint and returns its end.
func (tl *testLog) cleanNow(checkpoint int64) (int64, error) {
	c := tl.cleanable(checkpoint, tl.clock.Now().UnixMilli())
	return tl.clean(cleanRound{ltc: c, memBytes: 1 << 20, ioBuf: 256, done: func() bool { return false }})
}

// latestBelow maps each key to its latest value among records below end.
func latestBelow(recs []stored, end int64) map[string]stored {
	m := map[string]stored{}
	for _, r := range recs {
		if r.offset < end {
			m[r.key] = r
		}
	}
	return m
}

func keyName(i int) string { return fmt.Sprintf("key-%d", i) }
