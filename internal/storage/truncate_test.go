package storage

import (
	"testing"
)

func TestTruncateTo(t *testing.T) {
	tests := []struct {
		name    string
		to      int64
		wantLEO int64
	}{
		{"mid segment at batch boundary", 14, 14},
		{"inside a batch drops the batch", 15, 14},
		{"at a segment base", 16, 16},
		{"into the first segment", 3, 2},
		{"everything", 0, 0},
		{"past the end is a no-op", 100, 40},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tl := openTestLog(t, LogConfig{SegmentBytes: 2048, IndexIntervalBytes: 100})
			appendN(tl, 20) // 2 records per batch, 4 batches per segment
			if err := tl.TruncateTo(tc.to); err != nil {
				t.Fatal(err)
			}
			if tl.LogEndOffset() != tc.wantLEO || tl.HighWatermark() > tc.wantLEO {
				t.Fatalf("LEO %d HW %d", tl.LogEndOffset(), tl.HighWatermark())
			}
			if hs := tl.readAll(0); int64(len(hs)*2) != tc.wantLEO {
				t.Fatalf("%d batches readable", len(hs))
			}
			res := tl.append(mkBatch(t, batchOpt{n: 2, size: 200}))
			if res.BaseOffset != tc.wantLEO {
				t.Fatalf("next append at %d", res.BaseOffset)
			}
			// And the result survives a crash.
			tl.crash()
			tl.reopen(false, 0)
			if tl.LogEndOffset() != tc.wantLEO+2 {
				t.Fatalf("after crash LEO %d", tl.LogEndOffset())
			}
		})
	}
}

func TestTruncateFullyAndStartAt(t *testing.T) {
	tl := openTestLog(t, LogConfig{SegmentBytes: 2048})
	appendN(tl, 10)
	if err := tl.TruncateFullyAndStartAt(500); err != nil {
		t.Fatal(err)
	}
	if tl.LogStartOffset() != 500 || tl.LogEndOffset() != 500 || tl.NumSegments() != 1 || tl.LatestEpoch() != -1 {
		t.Fatalf("LSO %d LEO %d segs %d", tl.LogStartOffset(), tl.LogEndOffset(), tl.NumSegments())
	}
	tl.append(mkBatch(t, batchOpt{n: 2}))
	tl.Close()
	tl.reopen(true, 0)
	if tl.LogStartOffset() != 500 || tl.LogEndOffset() != 502 {
		t.Fatalf("reopened LSO %d LEO %d", tl.LogStartOffset(), tl.LogEndOffset())
	}
}
