package txn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/strom-project/strom/internal/record"
	"github.com/strom-project/strom/internal/storage"
)

// StateLog is one __transaction_state partition as the coordinator uses
// it (a replica.Partition in the broker, a bare log in tests).
type StateLog interface {
	// Append writes whole batches as leader; it returns once committed.
	Append(records []byte) error
	// Read returns whole batches from offset, up to maxBytes.
	Read(offset int64, maxBytes int32) (storage.ReadResult, error)
	LogStartOffset() int64
	LogEndOffset() int64
}

// MarkerWriter sends WriteTxnMarkers for a job to the leaders of its
// partitions. It returns nil once every partition has written the marker;
// any error makes the shard retry the whole job (markers are idempotent).
type MarkerWriter interface {
	WriteMarkers(ctx context.Context, job MarkerJob, coordinatorEpoch int32) error
}

// markerRetryBackoff spaces attempts of a failing marker job, doubling up
// to maxMarkerRetryBackoff (a partition without a leader may take a while).
const (
	markerRetryBackoff    = 100 * time.Millisecond
	maxMarkerRetryBackoff = 5 * time.Second
)

// shard owns the core of one partition this broker leads: its goroutine
// loads the partition, then runs requests (closures) and timers until
// stopped. Marker jobs run on their own goroutines and report back
// through the shard.
type shard struct {
	partition int32
	epoch     int32 // the partition's leader epoch: the coordinator epoch of markers
	log       StateLog
	markers   MarkerWriter
	now       func() time.Time
	logger    *slog.Logger
	core      *core
	loadBuf   int32

	prev *shard // the previous owner of the partition; run waits for it

	reqc    chan func()
	stopc   chan struct{}
	done    chan struct{}
	loaded  atomic.Bool
	stopped sync.Once
	jobs    sync.WaitGroup
}

func newShard(partition, epoch int32, log StateLog, cfg Config, markers MarkerWriter, newPID func() (int64, error),
	now func() time.Time, logger *slog.Logger) *shard {
	s := &shard{
		partition: partition, epoch: epoch, log: log, markers: markers, now: now, logger: logger, loadBuf: cfg.LoadBufferSize,
		reqc: make(chan func()), stopc: make(chan struct{}), done: make(chan struct{}),
	}
	s.core = newCore(cfg, logJournal{log}, newPID, logger)
	return s
}

func (s *shard) run() {
	defer close(s.done)
	defer s.jobs.Wait()
	if s.prev != nil {
		select {
		case <-s.prev.done:
			s.prev = nil
		case <-s.stopc:
			return
		}
	}
	l, err := s.load()
	if err != nil {
		s.logger.Error("loading transaction state partition failed; its transactions stay unavailable", "partition", s.partition, "err", err)
		<-s.stopc
		return
	}
	l.finish(s.core)
	s.core.start(s.now())
	s.loaded.Store(true)
	if l.firstErr != nil {
		s.logger.Error("skipped undecodable records while loading", "partition", s.partition, "first", l.firstErr)
	}
	s.logger.Info("loaded transaction state partition", "partition", s.partition, "contents", l.String())
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.dispatch()
		timer.Reset(max(s.core.nextDeadline().Sub(s.now()), 0))
		select {
		case fn := <-s.reqc:
			fn()
		case <-timer.C:
			s.core.tick(s.now())
		case <-s.stopc:
			s.core.shutdown()
			return
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

func (s *shard) load() (*loader, error) {
	l := newLoader()
	off, end := s.log.LogStartOffset(), s.log.LogEndOffset()
	for off < end {
		select {
		case <-s.stopc:
			return nil, errors.New("stopped while loading")
		default:
		}
		rr, err := s.log.Read(off, s.loadBuf)
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

// dispatch starts a goroutine per queued marker job. Each retries until
// its markers are written or the shard stops (the next coordinator of the
// partition resumes the job from the Prepare* record).
func (s *shard) dispatch() {
	for _, job := range s.core.takeJobs() {
		s.jobs.Add(1)
		go func() {
			defer s.jobs.Done()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				select {
				case <-s.stopc:
					cancel()
				case <-ctx.Done():
				}
			}()
			backoff := markerRetryBackoff
			for attempt := 1; ; attempt++ {
				err := s.markers.WriteMarkers(ctx, job, s.epoch)
				if err == nil {
					s.do(ctx, func(c *core, now time.Time) { c.markersWritten(job, now) })
					return
				}
				if attempt == 1 || attempt%20 == 0 {
					s.logger.Warn("writing transaction markers failed; retrying", "transactional.id", job.TransactionalID,
						"attempt", attempt, "err", err)
				}
				select {
				case <-time.After(backoff):
				case <-ctx.Done():
					return
				}
				backoff = min(2*backoff, maxMarkerRetryBackoff)
			}
		}()
	}
}

func (s *shard) stop() { s.stopped.Do(func() { close(s.stopc) }) }

// do runs fn on the shard's goroutine and waits for it.
func (s *shard) do(ctx context.Context, fn func(c *core, now time.Time)) error {
	select {
	case <-s.stopc:
		return kerr.NotCoordinator
	default:
	}
	if !s.loaded.Load() {
		return kerr.CoordinatorLoadInProgress
	}
	done := make(chan struct{})
	select {
	case s.reqc <- func() { fn(s.core, s.now()); close(done) }:
	case <-s.stopc:
		return kerr.NotCoordinator
	case <-ctx.Done():
		return ctx.Err()
	}
	<-done
	return nil
}

// logJournal writes records as one uncompressed batch.
type logJournal struct{ log StateLog }

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
