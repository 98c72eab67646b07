package group

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/strom-project/strom/internal/record"
	"github.com/strom-project/strom/internal/storage"
)

// OffsetsLog is one __consumer_offsets partition as the coordinator uses
// it. The broker's is a replica.Partition; tests may use a bare
// storage.Log.
type OffsetsLog interface {
	// Append writes whole record batches as this partition's leader and
	// returns once they are committed.
	Append(records []byte) error
	// Read returns whole batches from offset (at least one), up to
	// maxBytes, below the log end offset.
	Read(offset int64, maxBytes int32) (storage.ReadResult, error)
	LogStartOffset() int64
	LogEndOffset() int64
}

// shard owns the core of one offsets partition this broker leads. One
// goroutine runs it: it loads the partition, then serves requests (closures
// sent on reqc) and timers until stopped. The goroutine is the only one to
// touch the core, so the core needs no locks; per-partition shards let
// partitions load and write in parallel.
type shard struct {
	partition int32
	log       OffsetsLog
	now       func() time.Time
	logger    *slog.Logger
	core      *core

	prev *shard // the previous owner of the partition, if any: run waits for it

	reqc    chan func()
	stopc   chan struct{}
	done    chan struct{}
	loaded  atomic.Bool
	stopped sync.Once
}

func newShard(partition int32, log OffsetsLog, cfg Config, now func() time.Time, newID func(string) string, logger *slog.Logger) *shard {
	s := &shard{
		partition: partition, log: log, now: now, logger: logger,
		reqc: make(chan func()), stopc: make(chan struct{}), done: make(chan struct{}),
	}
	s.core = newCore(cfg, logJournal{log}, newID, logger)
	return s
}

// run loads the partition and serves until stop.
func (s *shard) run() {
	defer close(s.done)
	if s.prev != nil {
		select {
		case <-s.prev.done:
			s.prev = nil
		case <-s.stopc:
			return
		}
	}
	began := s.now()
	l, err := s.load()
	if err != nil {
		// A partition that cannot be read is not served: clients get
		// COORDINATOR_LOAD_IN_PROGRESS until leadership moves or the
		// broker restarts, rather than groups silently missing state.
		s.logger.Error("loading offsets partition failed; its groups stay unavailable", "partition", s.partition, "err", err)
		<-s.stopc
		return
	}
	now := s.now()
	l.finish(s.core, now)
	s.core.start(now)
	s.loaded.Store(true)
	if l.firstErr != nil {
		s.logger.Error("skipped undecodable records while loading", "partition", s.partition, "first", l.firstErr)
	}
	s.logger.Info("loaded offsets partition", "partition", s.partition, "contents", l.String(), "took", now.Sub(began).Round(time.Microsecond))

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.armTimer(timer)
		select {
		case fn := <-s.reqc:
			fn()
		case <-timer.C:
			s.core.tick(s.now())
		case <-s.stopc:
			s.core.shutdown()
			return
		}
	}
}

func (s *shard) armTimer(t *time.Timer) {
	t.Stop()
	select {
	case <-t.C:
	default:
	}
	at := s.core.nextDeadline()
	if at.IsZero() {
		t.Reset(time.Hour)
		return
	}
	t.Reset(max(at.Sub(s.now()), 0))
}

// load reads the partition from its log start to the end it had when
// loading began.
func (s *shard) load() (*loader, error) {
	l := newLoader()
	off, end := s.log.LogStartOffset(), s.log.LogEndOffset()
	for off < end {
		select {
		case <-s.stopc:
			return nil, errors.New("stopped while loading")
		default:
		}
		rr, err := s.log.Read(off, s.core.cfg.LoadBufferSize)
		if err != nil {
			return nil, fmt.Errorf("reading at %d: %w", off, err)
		}
		it := record.Iter{Buf: rr.Records}
		next := off
		for it.Next() {
			if err := l.batch(it.Batch); err != nil {
				return nil, fmt.Errorf("batch at %d: %w", it.Header.BaseOffset, err)
			}
			next = it.Header.NextOffset()
		}
		if it.Err != nil {
			return nil, fmt.Errorf("batches at %d: %w", off, it.Err)
		}
		if next == off {
			return nil, fmt.Errorf("no progress reading at %d (log end %d)", off, end)
		}
		off = next
	}
	return l, nil
}

// stop ends the shard; requests still waiting are answered
// NOT_COORDINATOR. It does not wait for the goroutine.
func (s *shard) stop() { s.stopped.Do(func() { close(s.stopc) }) }

// do runs fn on the shard's goroutine and waits for it. It refuses with
// COORDINATOR_LOAD_IN_PROGRESS while loading and NOT_COORDINATOR once
// stopped.
func (s *shard) do(ctx context.Context, fn func(c *core, now time.Time)) error {
	select {
	case <-s.stopc:
		return ErrNotCoordinator
	default:
	}
	if !s.loaded.Load() {
		return ErrLoadInProgress
	}
	done := make(chan struct{})
	select {
	case s.reqc <- func() { fn(s.core, s.now()); close(done) }:
	case <-s.stopc:
		return ErrNotCoordinator
	case <-ctx.Done():
		return ctx.Err()
	}
	<-done // accepted closures always run to completion
	return nil
}

// logJournal writes records as one uncompressed batch, the way Kafka's
// coordinator appends.
type logJournal struct{ log OffsetsLog }

func (j logJournal) write(now time.Time, recs []kv) error {
	nrs := make([]record.NewRecord, len(recs))
	for i, r := range recs {
		nrs[i] = record.NewRecord{Key: r.key, Value: r.value}
	}
	b, err := record.Build(nil, record.BatchSpec{
		BaseTimestamp: now.UnixMilli(), ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Records: nrs,
	})
	if err != nil {
		return err
	}
	return j.log.Append(b)
}
