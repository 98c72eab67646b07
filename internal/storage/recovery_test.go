package storage

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// appendN appends n single-record batches and returns the active segment's
// file name.
func appendN(tl *testLog, n int) string {
	for i := 0; i < n; i++ {
		tl.append(mkBatch(tl.t, batchOpt{n: 2, size: 200, ts: tl.clock.Now().UnixMilli()}))
	}
	return segmentName(tl.dir, tl.activeSegment().base, logSuffix)
}

// crash closes file handles without the clean-shutdown work, leaving the
// files as a kill -9 would (the page cache keeps what was written).
func (tl *testLog) crash() {
	tl.closed.Store(true)
	close(tl.done)
	tl.bg.Wait()
	tl.closeFiles()
}

func TestRecovery(t *testing.T) {
	tests := []struct {
		name     string
		prealloc bool
		damage   func(t *testing.T, path string, size int64)
		wantLEO  int64
	}{
		{"clean tail", false, func(*testing.T, string, int64) {}, 40},
		{"junk after last batch", false, func(t *testing.T, p string, size int64) {
			appendFile(t, p, []byte("this is not a record batch at all, just junk bytes"))
		}, 40},
		{"torn last batch", false, func(t *testing.T, p string, size int64) {
			if err := os.Truncate(p, size-17); err != nil {
				t.Fatal(err)
			}
		}, 38},
		{"bit flip in last batch", false, func(t *testing.T, p string, size int64) {
			flipByte(t, p, size-5)
		}, 38},
		{"bit flip in batch 10 of 20", false, func(t *testing.T, p string, size int64) {
			flipByte(t, p, size/2+3) // baseOffset of batch 10: not CRC-covered, caught by the offset check
		}, 20},
		{"crc flip in batch 5 of 20", false, func(t *testing.T, p string, size int64) {
			flipByte(t, p, size/4+30)
		}, 10},
		{"zeroed preallocated tail", true, func(t *testing.T, p string, size int64) {
			st, _ := os.Stat(p)
			if st.Size() <= size {
				t.Fatalf("segment not preallocated: %d <= %d", st.Size(), size)
			}
		}, 40},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tl := openTestLog(t, LogConfig{Preallocate: tc.prealloc, SegmentBytes: 1 << 20})
			path := appendN(tl, 20)
			size := tl.activeSegment().size.Load()
			rp := tl.RecoveryPoint()
			tl.crash()
			tc.damage(t, path, size)
			tl.reopen(false, rp)
			if tl.LogEndOffset() != tc.wantLEO {
				t.Fatalf("LEO %d, want %d", tl.LogEndOffset(), tc.wantLEO)
			}
			hs := tl.readAll(0)
			if len(hs) != int(tc.wantLEO/2) {
				t.Fatalf("%d batches readable", len(hs))
			}
			// The log keeps working after recovery.
			appendN(tl, 1)
			if hs := tl.readAll(0); len(hs) != int(tc.wantLEO/2)+1 || hs[len(hs)-1].BaseOffset != tc.wantLEO {
				t.Fatalf("after recovery append: %d batches", len(hs))
			}
		})
	}
}

func TestRecoveryDeletesSegmentsAfterCorruption(t *testing.T) {
	tl := openTestLog(t, LogConfig{SegmentBytes: 2048})
	appendN(tl, 20) // ~500-byte batches: 4 per segment
	if tl.NumSegments() < 4 {
		t.Fatalf("%d segments", tl.NumSegments())
	}
	second := segmentName(tl.dir, 8, logSuffix)
	tl.crash()
	flipByte(t, second, 100) // inside the first batch of segment 8
	tl.reopen(false, 0)
	if tl.LogEndOffset() != 8 || tl.NumSegments() != 2 {
		t.Fatalf("LEO %d with %d segments", tl.LogEndOffset(), tl.NumSegments())
	}
	if _, err := os.Stat(segmentName(tl.dir, 12, logSuffix)); !os.IsNotExist(err) {
		t.Fatalf("later segment still present: %v", err)
	}
	if hs := tl.readAll(0); len(hs) != 4 {
		t.Fatalf("%d batches", len(hs))
	}
}

func TestCleanReopenKeepsState(t *testing.T) {
	tl := openTestLog(t, LogConfig{SegmentBytes: 2048, Preallocate: true})
	appendN(tl, 10)
	tl.append(mkBatch(t, batchOpt{n: 2, pid: 7, epoch: 0, seq: 0}))
	if err := tl.Close(); err != nil {
		t.Fatal(err)
	}
	tl.reopen(true, 0)
	if tl.LogEndOffset() != 22 || tl.LatestEpoch() != 1 {
		t.Fatalf("LEO %d epoch %d", tl.LogEndOffset(), tl.LatestEpoch())
	}
	if ps := tl.Producers(); len(ps) != 1 || ps[0].LastSequence != 1 {
		t.Fatalf("producers %+v", ps)
	}
	// A retry of the producer's batch is still recognised.
	res, err := tl.Append(mkBatch(t, batchOpt{n: 2, pid: 7, epoch: 0, seq: 0}), AppendOptions{LeaderEpoch: 1})
	if err != nil || !res.Duplicate || res.BaseOffset != 20 {
		t.Fatalf("%+v %v", res, err)
	}
	appendN(tl, 1)
	if hs := tl.readAll(0); len(hs) != 12 {
		t.Fatalf("%d batches", len(hs))
	}
}

func TestRecoveryRebuildsMissingIndex(t *testing.T) {
	tl := openTestLog(t, LogConfig{SegmentBytes: 8192, IndexIntervalBytes: 512})
	appendN(tl, 60)
	tl.Close()
	os.Remove(segmentName(tl.dir, 0, indexSuffix))
	os.WriteFile(segmentName(tl.dir, 0, timeIndexSuffix), []byte("garbage-garbage!"), 0o644)
	tl.reopen(true, 0)
	if hs := tl.readAll(0); len(hs) != 60 {
		t.Fatalf("%d batches", len(hs))
	}
	if off, _, _, ok := tl.OffsetForTimestamp(0); !ok || off != 0 {
		t.Fatalf("OffsetForTimestamp: %d %v", off, ok)
	}
}

func appendFile(t *testing.T, p string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
}

func flipByte(t *testing.T, p string, at int64) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b [1]byte
	f.ReadAt(b[:], at)
	b[0] ^= 0x10
	f.WriteAt(b[:], at)
}

var _ = filepath.Join

// TestRecoveryReportsOnlyRealTruncation: after a crash a preallocated
// segment ends in zeros; that is its expected end, not a truncation to
// warn an operator about. Junk before the zeros is reported, and only its
// size counts as truncated.
func TestRecoveryReportsOnlyRealTruncation(t *testing.T) {
	for _, tc := range []struct {
		name     string
		junk     []byte
		wantWarn string
	}{
		{"zero tail only", nil, ""},
		{"junk then zeros", []byte("torn write"), "bytes_truncated=10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tl := openTestLog(t, LogConfig{SegmentBytes: 1 << 20, Preallocate: true})
			for i := 0; i < 5; i++ {
				tl.append(mkBatch(t, batchOpt{n: 2, size: 100}))
			}
			end := tl.activeSegment().size.Load()
			path := segmentName(tl.dir, tl.activeSegment().base, logSuffix)
			tl.crash()
			if tc.junk != nil {
				f, err := os.OpenFile(path, os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.WriteAt(tc.junk, end); err != nil {
					t.Fatal(err)
				}
				f.Close()
			}
			var logs bytes.Buffer
			l, err := Open(Options{Dir: tl.dir, Config: tl.cfg, Now: tl.clock.Now,
				Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			if l.LogEndOffset() != 10 {
				t.Fatalf("LEO %d after recovery, want 10", l.LogEndOffset())
			}
			warned := strings.Contains(logs.String(), "level=WARN")
			if tc.wantWarn == "" && warned {
				t.Fatalf("a zero preallocated tail was reported as truncation:\n%s", logs.String())
			}
			if tc.wantWarn != "" && !strings.Contains(logs.String(), tc.wantWarn) {
				t.Fatalf("want a warning with %q, got:\n%s", tc.wantWarn, logs.String())
			}
		})
	}
}
