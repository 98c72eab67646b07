package storage

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPreallocationIsChunked: a preallocated segment reserves disk a chunk
// ahead of the data, never the whole segment.bytes up front (1 GiB per
// partition by default would fill a disk with a few hundred partitions),
// and a rolled segment is trimmed to its data.
func TestPreallocationIsChunked(t *testing.T) {
	const segBytes = 64 << 20
	tl := openTestLog(t, LogConfig{SegmentBytes: segBytes, Preallocate: true})
	active := func() int64 {
		t.Helper()
		st, err := os.Stat(filepath.Join(tl.dir, "00000000000000000000.log"))
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	if got := active(); got != preallocChunk {
		t.Fatalf("new segment file is %d bytes, want one chunk (%d)", got, preallocChunk)
	}
	written := int64(0)
	for written < preallocChunk+preallocChunk/2 {
		written += int64(len(mkBatch(t, batchOpt{n: 16, size: 1024})))
		tl.append(mkBatch(t, batchOpt{n: 16, size: 1024}))
	}
	if got := active(); got < written || got > written+preallocChunk {
		t.Fatalf("after %d bytes the file is %d bytes: want data plus at most one chunk", written, got)
	}
	if got := tl.readAll(0); len(got) == 0 {
		t.Fatal("nothing readable after growing the preallocation")
	}
	tl.Log.Close()
	if got := active(); got != written {
		t.Fatalf("closed segment is %d bytes, want exactly the %d bytes written", got, written)
	}
	tl.reopen(true, 0)
}
