package storage

import (
	"errors"
	"testing"
)

func TestIdempotence(t *testing.T) {
	type step struct {
		epoch   int16
		seq     int32
		n       int
		wantErr error
		wantDup bool
		wantOff int64 // base offset of the result
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"in order", []step{{0, 0, 2, nil, false, 0}, {0, 2, 3, nil, false, 2}, {0, 5, 1, nil, false, 5}}},
		{"retry of last is duplicate", []step{{0, 0, 2, nil, false, 0}, {0, 0, 2, nil, true, 0}}},
		{"retry of older (within 5) is duplicate", []step{
			{0, 0, 1, nil, false, 0}, {0, 1, 1, nil, false, 1}, {0, 2, 1, nil, false, 2}, {0, 1, 1, nil, true, 1}}},
		{"gap", []step{{0, 0, 2, nil, false, 0}, {0, 3, 1, ErrOutOfOrderSequence, false, 0}}},
		// Kafka accepts any sequence from a producer it has no state for
		// (expired, or removed by retention); the next batch must follow it.
		{"unknown producer not at 0", []step{{0, 5, 1, nil, false, 0}, {0, 7, 1, ErrOutOfOrderSequence, false, 0}, {0, 6, 1, nil, false, 1}}},
		{"old epoch fenced", []step{{3, 0, 1, nil, false, 0}, {2, 1, 1, ErrInvalidProducerEpoch, false, 0}}},
		{"new epoch must start at 0", []step{{0, 0, 1, nil, false, 0}, {1, 1, 1, ErrOutOfOrderSequence, false, 0}}},
		{"new epoch at 0", []step{{0, 0, 1, nil, false, 0}, {1, 0, 1, nil, false, 1}, {0, 1, 1, ErrInvalidProducerEpoch, false, 0}}},
		{"sequence wraps", []step{{0, 0, 1, nil, false, 0}}}, // wrap covered below
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tl := openTestLog(t, LogConfig{})
			for i, s := range tc.steps {
				leo := tl.LogEndOffset()
				res, err := tl.Append(mkBatch(t, batchOpt{n: s.n, pid: 42, epoch: s.epoch, seq: s.seq}), AppendOptions{LeaderEpoch: 0})
				if !errors.Is(err, s.wantErr) {
					t.Fatalf("step %d: err %v, want %v", i, err, s.wantErr)
				}
				if err != nil {
					if tl.LogEndOffset() != leo {
						t.Fatalf("step %d: failed append moved LEO", i)
					}
					continue
				}
				if res.Duplicate != s.wantDup || res.BaseOffset != s.wantOff {
					t.Fatalf("step %d: %+v", i, res)
				}
				if s.wantDup && tl.LogEndOffset() != leo {
					t.Fatalf("step %d: duplicate was written", i)
				}
			}
		})
	}
}

func TestSequenceWrap(t *testing.T) {
	tl := openTestLog(t, LogConfig{})
	tl.producers[9] = &producerState{Epoch: 0, Batches: []batchMeta{{FirstSeq: 1<<31 - 3, LastSeq: 1<<31 - 1}}}
	if _, err := tl.Append(mkBatch(t, batchOpt{n: 2, pid: 9, epoch: 0, seq: 0}), AppendOptions{}); err != nil {
		t.Fatalf("wrapped sequence rejected: %v", err)
	}
	if _, err := tl.Append(mkBatch(t, batchOpt{n: 2, pid: 9, epoch: 0, seq: 1}), AppendOptions{}); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("got %v", err)
	}
}

func TestProducerStateSurvivesCrash(t *testing.T) {
	tl := openTestLog(t, LogConfig{SegmentBytes: 1024})
	for i := 0; i < 10; i++ { // several rolls, so snapshots exist
		tl.append(mkBatch(t, batchOpt{n: 1, size: 300, pid: 5, epoch: 2, seq: int32(i)}))
	}
	tl.crash()
	tl.reopen(false, 0)
	if ps := tl.Producers(); len(ps) != 1 || ps[0].LastSequence != 9 || ps[0].ProducerEpoch != 2 {
		t.Fatalf("%+v", ps)
	}
	res, err := tl.Append(mkBatch(t, batchOpt{n: 1, size: 300, pid: 5, epoch: 2, seq: 9}), AppendOptions{})
	if err != nil || !res.Duplicate || res.BaseOffset != 9 {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestSnapshotCodec(t *testing.T) {
	ps := producerStates{1: {Epoch: 3, LastTimestamp: 99, Batches: []batchMeta{{0, 4, 10, 14, 99}}}, 2: {Epoch: 0}}
	b := encodeSnapshot(ps)
	got, err := decodeSnapshot(b)
	if err != nil || len(got) != 2 || got[1].Batches[0].LastOffset != 14 || got[1].Epoch != 3 {
		t.Fatalf("%v %+v", err, got)
	}
	b[len(b)-1] ^= 1
	if _, err := decodeSnapshot(b); err == nil {
		t.Fatal("corrupt snapshot accepted")
	}
}
