package txn

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/strom-project/strom/internal/storage"
	"github.com/strom-project/strom/internal/testutil"
)

// appendOnly is a StateLog that starts empty and keeps appends.
type appendOnly struct {
	mu      sync.Mutex
	batches [][]byte
}

func (a *appendOnly) Append(b []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.batches = append(a.batches, b)
	return nil
}

func (a *appendOnly) Read(int64, int32) (storage.ReadResult, error) {
	return storage.ReadResult{}, errors.New("empty")
}
func (a *appendOnly) LogStartOffset() int64 { return 0 }
func (a *appendOnly) LogEndOffset() int64   { return 0 }

// flakyMarkers fails the first failures attempts, then records jobs.
type flakyMarkers struct {
	mu       sync.Mutex
	failures int
	attempts int
	written  []MarkerJob
	epochs   []int32
}

func (f *flakyMarkers) WriteMarkers(_ context.Context, job MarkerJob, epoch int32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts++
	if f.attempts <= f.failures {
		return errors.New("leader not available")
	}
	f.written, f.epochs = append(f.written, job), append(f.epochs, epoch)
	return nil
}

// TestShardRetriesMarkersUntilWritten: EndTxn answers after Prepare; the
// shard retries the markers until the leaders accept them, then writes
// CompleteCommit.
func TestShardRetriesMarkersUntilWritten(t *testing.T) {
	mk := &flakyMarkers{failures: 2}
	pid := int64(41)
	s := newShard(0, 7, &appendOnly{}, DefaultConfig(), mk, func() (int64, error) { pid++; return pid, nil },
		time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	go s.run()
	defer func() { s.stop(); <-s.done }()
	ctx := context.Background()
	do := func(fn func(c *core, now time.Time)) {
		t.Helper()
		testutil.WaitFor(t, 5*time.Second, func() error { return s.do(ctx, fn) })
	}
	var r InitResult
	var errAdd, errEnd error
	do(func(c *core, now time.Time) {
		r = c.initProducer("a", time.Minute, -1, -1, now)
		errAdd = c.addPartitions("a", r.ProducerID, r.ProducerEpoch, []TopicPartition{tp0}, false, now)
		errEnd = c.endTxn("a", r.ProducerID, r.ProducerEpoch, true, now)
	})
	if r.Err != nil || errAdd != nil || errEnd != nil {
		t.Fatalf("init %v, add %v, end %v", r.Err, errAdd, errEnd)
	}
	testutil.WaitUntil(t, 10*time.Second, "CompleteCommit", func() bool {
		var st State
		s.do(ctx, func(c *core, _ time.Time) { st = c.txns["a"].state })
		return st == CompleteCommit
	})
	mk.mu.Lock()
	defer mk.mu.Unlock()
	if mk.attempts != 3 || len(mk.written) != 1 || !mk.written[0].Commit || mk.epochs[0] != 7 {
		t.Fatalf("attempts %d, written %+v at coordinator epochs %v; want 3 attempts, one commit at epoch 7", mk.attempts, mk.written, mk.epochs)
	}
}
