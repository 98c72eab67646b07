package storage

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/strom-project/strom/internal/record"
)

var codecs = []record.Compression{record.CompressionNone, record.CompressionGzip, record.CompressionSnappy,
	record.CompressionLZ4, record.CompressionZstd}

// recordStrings lists a stored batch's records (offset, timestamp, key,
// value, headers) for comparison.
func recordStrings(t *testing.T, b []byte) []string {
	t.Helper()
	var out []string
	err := record.ForEachRecord(b, record.Limits{}, func(h *record.Header, r *record.Record) bool {
		var hs []string
		r.ForEachHeader(func(k, v []byte) { hs = append(hs, string(k)+"="+string(v)) })
		out = append(out, fmt.Sprintf("%d@%d %s=%s %v", h.BaseOffset+int64(r.OffsetDelta), h.BaseTimestamp+r.TimestampDelta, r.Key, r.Value, hs))
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// storedBatches reads the raw batches of the log.
func (tl *testLog) storedBatches() [][]byte {
	tl.t.Helper()
	res, err := tl.Read(0, 1<<30, true, tl.LogEndOffset())
	if err != nil {
		tl.t.Fatal(err)
	}
	var out [][]byte
	it := record.Iter{Buf: res.Records}
	for it.Next() {
		out = append(out, bytes.Clone(it.Batch))
	}
	return out
}

func clientBatch(t *testing.T, c record.Compression, ts int64, pid int64, seq int32) []byte {
	t.Helper()
	recs := make([]record.NewRecord, 10)
	for i := range recs {
		recs[i] = record.NewRecord{TimestampDelta: int64(i), Key: []byte(fmt.Sprintf("k%d", i)),
			Value: bytes.Repeat([]byte{byte('a' + i)}, 300), Headers: [][]byte{[]byte("h"), []byte(fmt.Sprint(i))}}
	}
	b, err := record.Build(nil, record.BatchSpec{Compression: c, BaseTimestamp: ts, ProducerID: pid, ProducerEpoch: 0,
		BaseSequence: seq, Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every source codec into every compression.type: the leader stores the
// topic's codec (the producer's under producer) with the same offsets,
// timestamps, producer fields and records.
func TestAppendRecompresses(t *testing.T) {
	types := []struct {
		name string
		ct   CompressionType
	}{{"producer", CompressionProducer}, {"uncompressed", CompressionUncompressed}, {"gzip", CompressionGzip},
		{"snappy", CompressionSnappy}, {"lz4", CompressionLZ4}, {"zstd", CompressionZstd}}
	for _, tt := range types {
		for _, from := range codecs {
			t.Run(fmt.Sprintf("%v-into-%s", from, tt.name), func(t *testing.T) {
				tl := openTestLog(t, LogConfig{Compression: CompressionConfig{Type: tt.ct}})
				now := tl.clock.Now().UnixMilli()
				first := clientBatch(t, record.CompressionNone, now, 7, 0)
				tl.append(first) // offsets 0-9, so the next batch is stamped at 10
				in := clientBatch(t, from, now, 7, 10)
				want := shift(recordStrings(t, in), 10) // stamped at offset 10
				res := tl.append(in)
				if res.BaseOffset != 10 || res.LastOffset != 19 || res.LogAppendTime != -1 {
					t.Fatalf("result %+v", res)
				}
				stored := tl.storedBatches()
				if len(stored) != 2 {
					t.Fatalf("%d batches stored", len(stored))
				}
				info, err := record.Validate(stored[1], record.Limits{})
				if err != nil {
					t.Fatal(err)
				}
				wantCodec := from
				if c, _, ok := (&CompressionConfig{Type: tt.ct}).target(); ok {
					wantCodec = c
				}
				h := info.Header
				if h.Compression() != wantCodec || h.BaseOffset != 10 || h.PartitionLeaderEpoch != 1 ||
					h.ProducerID != 7 || h.ProducerEpoch != 0 || h.BaseSequence != 10 || h.RecordCount != 10 ||
					h.BaseTimestamp != now || h.MaxTimestamp != now+9 || h.IsLogAppendTime() {
					t.Fatalf("stored header %+v (codec %v, want %v)", h, h.Compression(), wantCodec)
				}
				if got := recordStrings(t, stored[1]); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("records\n got %v\nwant %v", got, want)
				}
				// Sequence bookkeeping saw the recompressed batch: a retry
				// is a duplicate with the original offsets, a gap is refused.
				dup, err := tl.Append(clientBatch(t, from, now, 7, 10), AppendOptions{LeaderEpoch: 1})
				if err != nil || !dup.Duplicate || dup.BaseOffset != 10 || dup.LastOffset != 19 {
					t.Fatalf("retry: %+v %v", dup, err)
				}
				if _, err := tl.Append(clientBatch(t, from, now, 7, 30), AppendOptions{LeaderEpoch: 1}); !errors.Is(err, ErrOutOfOrderSequence) {
					t.Fatalf("gap: %v", err)
				}
			})
		}
	}
}

// shift renders records as recordStrings would after their offsets moved by d.
func shift(rs []string, d int64) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		var off int64
		var rest string
		fmt.Sscanf(r, "%d@", &off)
		rest = r[len(fmt.Sprint(off)):]
		out[i] = fmt.Sprint(off+d) + rest
	}
	return out
}

// Followers store the leader's bytes unchanged; control batches are never
// recompressed.
func TestRecompressSkips(t *testing.T) {
	zstdTopic := LogConfig{Compression: CompressionConfig{Type: CompressionZstd}}
	t.Run("replication", func(t *testing.T) {
		tl := openTestLog(t, zstdTopic)
		b := clientBatch(t, record.CompressionGzip, 5, -1, -1)
		if _, err := tl.Append(bytes.Clone(b), AppendOptions{Origin: AppendReplication}); err != nil {
			t.Fatal(err)
		}
		if got := tl.storedBatches()[0]; !bytes.Equal(got, b) {
			t.Fatal("follower did not keep the leader's bytes")
		}
	})
	t.Run("control", func(t *testing.T) {
		tl := openTestLog(t, zstdTopic)
		marker, err := record.Build(nil, record.BatchSpec{Control: true, Transactional: true, BaseTimestamp: 5,
			ProducerID: 9, ProducerEpoch: 0, BaseSequence: -1,
			Records: []record.NewRecord{{Key: []byte{0, 0, 0, 1}, Value: []byte{0, 0, 0, 0, 0, 0}}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tl.Append(marker, AppendOptions{Origin: AppendCoordinator, LeaderEpoch: 1}); err != nil {
			t.Fatal(err)
		}
		h, _ := record.ParseHeader(tl.storedBatches()[0])
		if !h.IsControl() || h.Compression() != record.CompressionNone {
			t.Fatalf("marker stored as %+v", h)
		}
	})
}

// Under LogAppendTime a recompressed batch carries the append time and the
// attribute bit, and time lookups find it.
func TestRecompressLogAppendTime(t *testing.T) {
	tl := openTestLog(t, LogConfig{TimestampType: LogAppendTime, Compression: CompressionConfig{Type: CompressionLZ4}})
	res := tl.append(clientBatch(t, record.CompressionNone, 5, -1, -1))
	now := tl.clock.Now().UnixMilli()
	h, _ := record.ParseHeader(tl.storedBatches()[0])
	if res.LogAppendTime != now || !h.IsLogAppendTime() || h.MaxTimestamp != now || h.Compression() != record.CompressionLZ4 {
		t.Fatalf("result %+v, stored %+v", res, h)
	}
	if off, ts, _, ok := tl.OffsetForTimestamp(now); !ok || off != 0 || ts != now {
		t.Fatalf("OffsetForTimestamp: %d %d %v", off, ts, ok)
	}
}

// A batch within max.message.bytes that grows past it once recompressed
// (here: decompressed) is MESSAGE_TOO_LARGE, as in Kafka; nothing is written.
func TestRecompressTooLarge(t *testing.T) {
	tl := openTestLog(t, LogConfig{MaxMessageBytes: 1000, Compression: CompressionConfig{Type: CompressionUncompressed}})
	b := clientBatch(t, record.CompressionZstd, 5, -1, -1)
	if len(b) > 1000 {
		t.Fatalf("compressed batch of %d bytes", len(b))
	}
	if _, err := tl.Append(b, AppendOptions{}); !errors.Is(err, ErrRecordTooLarge) {
		t.Fatalf("got %v, want ErrRecordTooLarge", err)
	}
	if tl.LogEndOffset() != 0 {
		t.Fatalf("LEO %d after a refused append", tl.LogEndOffset())
	}
}

// A small zstd batch inflating past the cap (16 × max(max.message.bytes,
// 4 MiB) = 64 MiB here) is refused as MESSAGE_TOO_LARGE before anything
// is written, with or without recompression.
func TestAppendDecompressionBomb(t *testing.T) {
	var body bytes.Buffer
	w, err := zstd.NewWriter(&body, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithWindowSize(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for range 80 {
		w.Write(zeros)
	}
	w.Close()
	bomb, err := record.Build(nil, record.BatchSpec{Compression: record.CompressionNone, ProducerID: -1, BaseSequence: -1,
		Records: []record.NewRecord{{Value: []byte("x")}}})
	if err != nil {
		t.Fatal(err)
	}
	bomb = append(bomb[:record.HeaderSize], body.Bytes()...)
	putBatchLength(bomb, record.CompressionZstd)
	for _, ct := range []CompressionType{CompressionProducer, CompressionGzip} {
		tl := openTestLog(t, LogConfig{Compression: CompressionConfig{Type: ct}})
		if _, err := tl.Append(bytes.Clone(bomb), AppendOptions{}); !errors.Is(err, ErrRecordTooLarge) {
			t.Fatalf("compression.type %d: got %v, want ErrRecordTooLarge", ct, err)
		}
		if tl.LogEndOffset() != 0 {
			t.Fatalf("LEO %d after a refused append", tl.LogEndOffset())
		}
	}
	if got := decompressLimits(&LogConfig{MaxMessageBytes: 1 << 20}).MaxDecompressedBytes; got != 64<<20 {
		t.Fatalf("cap %d at the default max.message.bytes", got)
	}
	if got := decompressLimits(&LogConfig{MaxMessageBytes: 10 << 20}).MaxDecompressedBytes; got != 160<<20 {
		t.Fatalf("cap %d at max.message.bytes 10 MiB", got)
	}
}

// putBatchLength fixes batchLength, sets codec c and the CRC of a batch
// whose records section was replaced.
func putBatchLength(b []byte, c record.Compression) {
	n := uint32(len(b) - record.LogOverhead)
	b[8], b[9], b[10], b[11] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	b[22] |= byte(c)
	crc := record.ComputeCRC(b)
	b[17], b[18], b[19], b[20] = byte(crc>>24), byte(crc>>16), byte(crc>>8), byte(crc)
}
