package storage

import (
	"os"
	"path/filepath"
	"testing"
)

func TestEpochCacheEndOffsetFor(t *testing.T) {
	c := &epochCache{fs: OSFS, dir: t.TempDir()}
	for _, e := range []epochEntry{{1, 0}, {3, 10}, {4, 25}} {
		if err := c.assign(e.Epoch, e.StartOffset); err != nil {
			t.Fatal(err)
		}
	}
	// Kafka's LeaderEpochFileCache.endOffsetFor cases, LEO 40.
	tests := []struct {
		req       int32
		epoch     int32
		endOffset int64
	}{
		{-1, -1, -1}, // undefined
		{0, 0, 0},    // older than the first: the first entry's start
		{1, 1, 10},   // end = next epoch's start
		{2, 1, 10},   // unknown epoch in a gap: the floor epoch, next start
		{3, 3, 25},
		{4, 4, 40}, // latest: LEO
		{5, -1, -1},
	}
	for _, tc := range tests {
		e, off := c.endOffsetFor(tc.req, 40)
		if e != tc.epoch || off != tc.endOffset {
			t.Errorf("endOffsetFor(%d) = %d,%d want %d,%d", tc.req, e, off, tc.epoch, tc.endOffset)
		}
	}
	b, _ := os.ReadFile(filepath.Join(c.dir, leaderEpochCheckpointFile))
	if string(b) != "0\n3\n1 0\n3 10\n4 25\n" {
		t.Fatalf("checkpoint %q", b)
	}
	// Kafka's assign drops every entry with epoch >= 2 or start >= 30.
	c.assign(2, 30)
	if got := c.snapshot(); len(got) != 2 || got[1] != (epochEntry{2, 30}) {
		t.Fatalf("%v", got)
	}
	c.truncateFromEnd(10)
	c.truncateFromStart(5)
	if got := c.snapshot(); len(got) != 1 || got[0] != (epochEntry{1, 5}) {
		t.Fatalf("%v", got)
	}
}

func TestLogEpochs(t *testing.T) {
	tl := openTestLog(t, LogConfig{})
	for _, e := range []int32{0, 0, 2, 2, 5} {
		tl.Append(mkBatch(t, batchOpt{n: 2}), AppendOptions{LeaderEpoch: e})
	}
	if tl.LatestEpoch() != 5 {
		t.Fatalf("latest %d", tl.LatestEpoch())
	}
	if r, ok := tl.EndOffsetForEpoch(0); !ok || r.EndOffset != 4 || r.LeaderEpoch != 0 {
		t.Fatalf("%+v", r)
	}
	if r, _ := tl.EndOffsetForEpoch(5); r.EndOffset != 10 {
		t.Fatalf("%+v", r)
	}
	// Follower truncation to the end of epoch 0.
	if err := tl.TruncateTo(4); err != nil {
		t.Fatal(err)
	}
	if tl.LogEndOffset() != 4 || tl.LatestEpoch() != 0 {
		t.Fatalf("LEO %d epoch %d", tl.LogEndOffset(), tl.LatestEpoch())
	}
	tl.Append(mkBatch(t, batchOpt{n: 2}), AppendOptions{LeaderEpoch: 7})
	if hs := tl.readAll(0); len(hs) != 3 || hs[2].PartitionLeaderEpoch != 7 || hs[2].BaseOffset != 4 {
		t.Fatalf("%+v", hs)
	}
	// Crash recovery rebuilds the cache from the batches too.
	tl.crash()
	os.Remove(filepath.Join(tl.dir, leaderEpochCheckpointFile))
	tl.reopen(false, 0)
	if r, ok := tl.EndOffsetForEpoch(0); !ok || r.EndOffset != 4 || tl.LatestEpoch() != 7 {
		t.Fatalf("%+v latest %d", r, tl.LatestEpoch())
	}
}

func TestReplicationAppend(t *testing.T) {
	leader := openTestLog(t, LogConfig{})
	for e := int32(1); e <= 3; e++ {
		leader.Append(mkBatch(t, batchOpt{n: 3, pid: 11, epoch: 0, seq: (e - 1) * 3}), AppendOptions{LeaderEpoch: e})
	}
	res, _ := leader.Read(0, 1<<20, true, leader.LogEndOffset())
	follower := openTestLog(t, LogConfig{})
	if _, err := follower.Append(res.Records, AppendOptions{Origin: AppendReplication}); err != nil {
		t.Fatal(err)
	}
	if follower.LogEndOffset() != 9 || follower.LatestEpoch() != 3 {
		t.Fatalf("LEO %d epoch %d", follower.LogEndOffset(), follower.LatestEpoch())
	}
	if r, _ := follower.EndOffsetForEpoch(1); r.EndOffset != 3 {
		t.Fatalf("%+v", r)
	}
	if ps := follower.Producers(); len(ps) != 1 || ps[0].LastSequence != 8 {
		t.Fatalf("%+v", ps)
	}
	// Re-appending the same offsets is rejected.
	if _, err := follower.Append(res.Records, AppendOptions{Origin: AppendReplication}); err == nil {
		t.Fatal("overlapping replicated append accepted")
	}
}
