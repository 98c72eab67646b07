package storage

import (
	"sync"
	"testing"
)

// The pieces of the log the replica layer drives: leader epochs on
// election, the high watermark and its checkpoint.

// TestAssignLeaderEpoch: a new leader's epoch starts at its log end even
// before it writes, so the previous epoch's end is known (KIP-101).
func TestAssignLeaderEpoch(t *testing.T) {
	tl := openTestLog(t, LogConfig{})
	tl.append(mkBatch(t, batchOpt{n: 3})) // epoch 1 (openTestLog's appends)
	start, err := tl.AssignLeaderEpoch(4)
	if err != nil || start != 3 {
		t.Fatalf("AssignLeaderEpoch: %d %v", start, err)
	}
	if tl.LatestEpoch() != 4 {
		t.Fatalf("latest epoch %d", tl.LatestEpoch())
	}
	if e, ok := tl.EndOffsetForEpoch(1); !ok || e != (EpochEndOffset{1, 3}) {
		t.Fatalf("epoch 1 ends at %+v", e)
	}
	if e, ok := tl.EndOffsetForEpoch(4); !ok || e != (EpochEndOffset{4, 3}) {
		t.Fatalf("epoch 4 ends at %+v", e)
	}
	// Re-assigning the same epoch later is a no-op.
	if _, err := tl.Append(mkBatch(t, batchOpt{n: 2}), AppendOptions{LeaderEpoch: 4, RequiredAcks: 1}); err != nil {
		t.Fatal(err)
	}
	if start, _ := tl.AssignLeaderEpoch(4); start != 5 {
		t.Fatalf("second assign returned %d", start)
	}
	if e, _ := tl.EndOffsetForEpoch(1); e.EndOffset != 3 {
		t.Fatalf("epoch 4 moved: epoch 1 ends at %+v", e)
	}
	tl.Close()
	tl.reopen(true, 0)
	if e, _ := tl.EndOffsetForEpoch(1); e.EndOffset != 3 || tl.LatestEpoch() != 4 {
		t.Fatalf("after reopen epoch 1 ends at %+v, latest %d", e, tl.LatestEpoch())
	}
}

// TestTruncateAtLogEndDropsEmptyEpoch: a replica that led an epoch and
// wrote nothing drops that epoch's entry when told to truncate at its log
// end, or its next fetch would diverge on it again (Kafka's truncateTo).
func TestTruncateAtLogEndDropsEmptyEpoch(t *testing.T) {
	tl := openTestLog(t, LogConfig{})
	tl.append(mkBatch(t, batchOpt{n: 3}))
	if _, err := tl.AssignLeaderEpoch(3); err != nil {
		t.Fatal(err)
	}
	if err := tl.TruncateTo(tl.LogEndOffset()); err != nil {
		t.Fatal(err)
	}
	if tl.LatestEpoch() != 1 || tl.LogEndOffset() != 3 {
		t.Fatalf("latest epoch %d, LEO %d", tl.LatestEpoch(), tl.LogEndOffset())
	}
}

// TestMaybeIncrementHighWatermark: the leader's HW only moves forward,
// never past the log end, and concurrent callers cannot move it back.
func TestMaybeIncrementHighWatermark(t *testing.T) {
	l := openTestLog(t, LogConfig{})
	l.Append(mkBatch(t, batchOpt{n: 100}), AppendOptions{LeaderEpoch: 1, RequiredAcks: 1})
	l.SetHighWatermark(0)
	if !l.MaybeIncrementHighWatermark(10) || l.HighWatermark() != 10 {
		t.Fatalf("HW %d", l.HighWatermark())
	}
	if l.MaybeIncrementHighWatermark(5) || l.HighWatermark() != 10 {
		t.Fatalf("HW went back to %d", l.HighWatermark())
	}
	if !l.MaybeIncrementHighWatermark(1000) || l.HighWatermark() != 100 {
		t.Fatalf("HW %d past the log end", l.HighWatermark())
	}
	l.SetHighWatermark(0)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() { l.MaybeIncrementHighWatermark(int64(i + 1)) })
	}
	wg.Wait()
	if l.HighWatermark() != 50 {
		t.Fatalf("HW %d after concurrent increments to 1..50", l.HighWatermark())
	}
}

// TestHighWatermarkCheckpoint: the manager writes replication-offset-checkpoint
// on close (and on its interval); a reopened log starts at its
// checkpointed HW (capped at the log end).
func TestHighWatermarkCheckpoint(t *testing.T) {
	dir := t.TempDir()
	open := func() *Manager {
		m, err := NewManagerWithOptions([]string{dir}, ManagerOptions{Logger: quietLogger})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := open()
	for _, p := range []int32{0, 1} {
		l, err := m.GetOrCreate("t", p, LogConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Append(mkBatch(t, batchOpt{n: 10}), AppendOptions{LeaderEpoch: 1, RequiredAcks: 1}); err != nil {
			t.Fatal(err)
		}
		l.SetHighWatermark(int64(4 + p))
	}
	if err := m.WriteHighWatermarks(); err != nil {
		t.Fatal(err)
	}
	m.Get("t", 1).SetHighWatermark(7)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	m = open()
	defer m.Close()
	for p, want := range map[int32]int64{0: 4, 1: 7} {
		l, err := m.GetOrCreate("t", p, LogConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if l.HighWatermark() != want || l.LogEndOffset() != 10 {
			t.Errorf("partition %d: HW %d LEO %d, want HW %d", p, l.HighWatermark(), l.LogEndOffset(), want)
		}
	}
}
