package storage

import (
	"errors"
	"math"
	"testing"
)

// A log dir below its free-space reserve refuses appends with ErrStorage
// and writes nothing; once the reserve is met again appends resume.
func TestFreeSpaceReserve(t *testing.T) {
	dir := t.TempDir()
	space := newDirSpace(dir, math.MaxInt64) // more than any disk has
	if err := space.refresh(); err != nil {
		t.Fatal(err)
	}
	if !space.Low() || space.Free() <= 0 {
		t.Fatalf("low %v, free %d", space.Low(), space.Free())
	}
	l, err := Open(Options{Dir: dir + "/t-0", Logger: quietLogger, Clean: true, Space: space})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = l.Append(mkBatch(t, batchOpt{n: 3}), AppendOptions{LeaderEpoch: 1, RequiredAcks: -1})
	if !errors.Is(err, ErrStorage) || l.LogEndOffset() != 0 {
		t.Fatalf("append below the reserve: %v, log end %d", err, l.LogEndOffset())
	}
	space.minFree = 1
	if err := space.refresh(); err != nil || space.Low() {
		t.Fatalf("refresh: %v, low %v", err, space.Low())
	}
	if _, err := l.Append(mkBatch(t, batchOpt{n: 3}), AppendOptions{LeaderEpoch: 1, RequiredAcks: -1}); err != nil || l.LogEndOffset() != 3 {
		t.Fatalf("append with space: %v, log end %d", err, l.LogEndOffset())
	}
}
