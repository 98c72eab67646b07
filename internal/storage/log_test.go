package storage

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/strom-project/strom/internal/record"
)

func TestAppendReadRoundTrip(t *testing.T) {
	tl := openTestLog(t, LogConfig{})
	for i := 0; i < 100; i++ {
		res := tl.append(mkBatch(t, batchOpt{n: 3, size: 100, ts: tl.clock.Now().UnixMilli()}))
		if res.BaseOffset != int64(i*3) || res.LastOffset != int64(i*3+2) || res.LogAppendTime != -1 {
			t.Fatalf("append %d: %+v", i, res)
		}
	}
	if tl.LogEndOffset() != 300 {
		t.Fatalf("LEO %d", tl.LogEndOffset())
	}
	hs := tl.readAll(0)
	if len(hs) != 100 || hs[99].BaseOffset != 297 || hs[0].PartitionLeaderEpoch != 1 {
		t.Fatalf("read %d batches", len(hs))
	}
	// Reading from the middle of a batch returns that whole batch.
	res, err := tl.Read(151, 1, true, 300)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := record.ParseHeader(res.Records)
	if h.BaseOffset != 150 || len(res.Records) != h.Size() {
		t.Fatalf("minOneBatch read: base %d, %d bytes", h.BaseOffset, len(res.Records))
	}
	if res, _ := tl.Read(151, 1, false, 300); len(res.Records) != 0 {
		t.Fatal("maxBytes below one batch without minOneBatch must be empty")
	}
	// upTo excludes batches that reach it.
	if res, _ := tl.Read(0, 1<<20, true, 5); len(tl.headers(res.Records)) != 1 {
		t.Fatalf("upTo 5: %d batches", len(tl.headers(res.Records)))
	}
	if res, _ := tl.Read(300, 100, true, 300); len(res.Records) != 0 || res.LogEndOffset != 300 {
		t.Fatal("read at LEO must be empty")
	}
	for _, off := range []int64{-1, 301} {
		if _, err := tl.Read(off, 100, true, 300); !errors.Is(err, ErrOffsetOutOfRange) {
			t.Fatalf("Read(%d): %v", off, err)
		}
	}
}

func (tl *testLog) headers(b []byte) []record.Header {
	var hs []record.Header
	it := record.Iter{Buf: b}
	for it.Next() {
		hs = append(hs, it.Header)
	}
	return hs
}

func TestAppendValidation(t *testing.T) {
	good := func() []byte { return mkBatch(t, batchOpt{n: 2, size: 10}) }
	tests := []struct {
		name string
		cfg  LogConfig
		b    []byte
		want error
	}{
		{"bit flip", LogConfig{}, func() []byte { b := good(); b[len(b)-1] ^= 1; return b }(), ErrCorruptMessage},
		{"torn", LogConfig{}, good()[:50], ErrCorruptMessage},
		{"trailing junk", LogConfig{}, append(good(), 1, 2, 3), ErrCorruptMessage},
		{"magic 1", LogConfig{}, func() []byte { b := good(); b[16] = 1; return b }(), ErrUnsupportedMagic},
		{"too large", LogConfig{MaxMessageBytes: 100}, mkBatch(t, batchOpt{n: 2, size: 100}), ErrRecordTooLarge},
		{"timestamp too old", LogConfig{TimestampBeforeMaxMs: 1000}, mkBatch(t, batchOpt{ts: 5}), ErrInvalidTimestamp},
		{"timestamp too new", LogConfig{TimestampAfterMaxMs: 1000}, mkBatch(t, batchOpt{ts: 1 << 50}), ErrInvalidTimestamp},
		{"empty", LogConfig{}, nil, ErrInvalidRecord},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tl := openTestLog(t, tc.cfg)
			_, err := tl.Append(tc.b, AppendOptions{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if tl.LogEndOffset() != 0 {
				t.Fatal("failed append moved the LEO")
			}
		})
	}
}

func TestLogAppendTime(t *testing.T) {
	tl := openTestLog(t, LogConfig{TimestampType: LogAppendTime})
	res := tl.append(mkBatch(t, batchOpt{n: 2, ts: 5}))
	if res.LogAppendTime != tl.clock.Now().UnixMilli() {
		t.Fatalf("LogAppendTime %d", res.LogAppendTime)
	}
	h := tl.readAll(0)[0]
	if !h.IsLogAppendTime() || h.MaxTimestamp != res.LogAppendTime {
		t.Fatalf("%+v", h)
	}
}

func TestRollBySizeAndTime(t *testing.T) {
	tl := openTestLog(t, LogConfig{SegmentBytes: 4096, SegmentMs: 60_000})
	for i := 0; i < 20; i++ {
		tl.append(mkBatch(t, batchOpt{size: 1000, ts: tl.clock.Now().UnixMilli()}))
	}
	// ~1.1 KB batches, 4 KiB segments: 3 per segment.
	if n := tl.NumSegments(); n != 7 {
		t.Fatalf("%d segments after size rolls", n)
	}
	tl.clock.Advance(61 * time.Second)
	tl.append(mkBatch(t, batchOpt{size: 10, ts: tl.clock.Now().UnixMilli()}))
	if n := tl.NumSegments(); n != 8 {
		t.Fatalf("%d segments after time roll", n)
	}
	for _, name := range []string{"00000000000000000000.log", "00000000000000000003.log", "00000000000000000003.snapshot", "00000000000000000020.log"} {
		if _, err := os.Stat(filepath.Join(tl.dir, name)); err != nil {
			t.Errorf("missing %s: %v", name, err)
		}
	}
	if hs := tl.readAll(0); len(hs) != 21 {
		t.Fatalf("read %d batches across segments", len(hs))
	}
	for off := int64(0); off < 21; off++ {
		res, err := tl.Read(off, 10, true, 21)
		if err != nil || tl.headers(res.Records)[0].BaseOffset != off {
			t.Fatalf("Read(%d): %v", off, err)
		}
	}
}

func TestIndexLookups(t *testing.T) {
	tl := openTestLog(t, LogConfig{IndexIntervalBytes: 256})
	for i := 0; i < 500; i++ {
		tl.append(mkBatch(t, batchOpt{n: 2, size: 50, ts: 1000 + int64(i)*10}))
	}
	seg := tl.activeSegment()
	if seg.index.len() < 100 || seg.timeIndex.len() < 100 {
		t.Fatalf("index entries %d / %d", seg.index.len(), seg.timeIndex.len())
	}
	for _, off := range []int64{0, 1, 2, 517, 998, 999} {
		res, err := tl.Read(off, 1, true, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if h := tl.headers(res.Records)[0]; h.BaseOffset != off&^1 {
			t.Fatalf("Read(%d) got batch %d", off, h.BaseOffset)
		}
	}
	tests := []struct {
		ts, wantOff, wantTS int64
		ok                  bool
	}{
		{0, 0, 1000, true}, {1000, 0, 1000, true}, {1001, 1, 1001, true}, {1005, 2, 1010, true},
		{3000, 400, 3000, true}, {5991, 999, 5991, true}, {5992, -1, -1, false},
	}
	for _, tc := range tests {
		off, ts, epoch, ok := tl.OffsetForTimestamp(tc.ts)
		if off != tc.wantOff || ts != tc.wantTS || ok != tc.ok || (ok && epoch != 1) {
			t.Errorf("OffsetForTimestamp(%d) = %d,%d,%d,%v want %d,%d", tc.ts, off, ts, epoch, ok, tc.wantOff, tc.wantTS)
		}
	}
	if off, ts, _ := tl.MaxTimestamp(); off != 999 || ts != 5991 {
		t.Fatalf("MaxTimestamp %d %d", off, ts)
	}
	// Indexes survive a clean reopen.
	tl.Close()
	tl.reopen(true, 0)
	if off, _, _, _ := tl.OffsetForTimestamp(3000); off != 400 {
		t.Fatalf("after reopen: %d", off)
	}
	if hs := tl.readAll(0); len(hs) != 500 {
		t.Fatalf("after reopen read %d", len(hs))
	}
}
