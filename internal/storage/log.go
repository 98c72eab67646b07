package storage

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Log is one partition's log: a directory of segments plus its leader-epoch
// cache and producer state.
//
// Concurrency: Append, roll, truncation, retention and Close serialise on mu.
// Read, the offset getters and Wait never take mu: they use atomics and
// segMu (RLock), so consumers and followers do not queue behind producers.
// Lock order: mu → segMu → segment/index locks. fsync runs with neither mu
// nor segMu held (see flush.go).
type Log struct {
	dir    string
	tp     TopicPartition // parsed from dir; informational
	fs     FS
	logger *slog.Logger
	now    func() time.Time
	cfg    atomic.Pointer[LogConfig]

	mu        sync.Mutex
	producers producerStates // mu
	unflushed int64          // mu: messages appended since the last flush
	bg        sync.WaitGroup // background work: delayed deletions, post-roll flushes

	segMu    sync.RWMutex
	segments []*segment // ascending base offsets; the last is active

	leo           atomic.Int64
	hw            atomic.Int64
	lso           atomic.Int64
	firstUnstable atomic.Int64 // first offset of the oldest open transaction, -1: none (txn.go)
	recoveryPoint atomic.Int64
	lastFlushMs   atomic.Int64
	dirDirty      atomic.Bool // a segment file was created: fsync the directory
	closed        atomic.Bool
	closedFiles   atomic.Bool   // segment files closed: nothing left to sync
	done          chan struct{} // closed by Close/Delete: cuts delays short

	// truncatedTo is the lowest offset truncated to since the cleaner last
	// looked (-1: none); cleanGen changes on every truncation, so a
	// cleaning round that raced one does not swap in stale segments.
	truncatedTo atomic.Int64
	cleanGen    atomic.Int64
	// cleanerHook, when set (tests), runs at each step of a segment swap;
	// an error stops the swap there as a crash would.
	cleanerHook func(step string) error

	epochs *epochCache
	gc     groupCommit
	space  *DirSpace // the log dir's free-space reserve (space.go); nil: none

	waitMu sync.Mutex
	waitCh chan struct{}
}

// Open opens (creating if needed) the log in opts.Dir and recovers it.
func Open(opts Options) (*Log, error) {
	if opts.FS == nil {
		opts.FS = OSFS
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	cfg := opts.Config.normalized()
	l := &Log{dir: opts.Dir, fs: opts.FS, now: opts.Now, producers: producerStates{}, waitCh: make(chan struct{}), done: make(chan struct{}),
		space: opts.Space}
	l.tp, _ = parseTopicPartition(filepath.Base(opts.Dir))
	l.truncatedTo.Store(-1)
	l.firstUnstable.Store(-1)
	l.logger = opts.Logger.With("partition", filepath.Base(opts.Dir))
	l.cfg.Store(&cfg)
	l.gc.cond = sync.NewCond(&l.gc.mu)
	if err := l.fs.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("%w: create %s: %v", ErrStorage, opts.Dir, err)
	}
	if err := l.load(opts); err != nil {
		l.closeFiles()
		return nil, err
	}
	l.lastFlushMs.Store(l.now().UnixMilli())
	return l, nil
}

func (l *Log) config() *LogConfig { return l.cfg.Load() }

// SetConfig applies a topic config change; it takes effect on the next append.
func (l *Log) SetConfig(cfg LogConfig) {
	c := cfg.normalized()
	l.cfg.Store(&c)
}

// Config returns the effective (normalised) configuration.
func (l *Log) Config() LogConfig { return *l.config() }

// Dir is the partition directory.
func (l *Log) Dir() string { return l.dir }

func (l *Log) LogStartOffset() int64 { return l.lso.Load() }
func (l *Log) LogEndOffset() int64   { return l.leo.Load() }
func (l *Log) HighWatermark() int64  { return l.hw.Load() }
func (l *Log) RecoveryPoint() int64  { return l.recoveryPoint.Load() }

// SetHighWatermark sets the HW (clamped to [LogStartOffset, LogEndOffset]),
// waking waiters if it changed. The replica layer owns the HW: a follower
// sets what its leader says, which may be lower than before.
func (l *Log) SetHighWatermark(hw int64) {
	hw = min(max(hw, l.lso.Load()), l.leo.Load())
	if l.hw.Swap(hw) != hw {
		l.notify()
	}
}

// MaybeIncrementHighWatermark raises the HW to hw (capped at the log end
// offset) if that is higher, waking waiters, and reports whether it moved.
// A leader's HW only moves forward; concurrent callers are safe (the
// highest wins).
func (l *Log) MaybeIncrementHighWatermark(hw int64) bool {
	hw = min(hw, l.leo.Load())
	for {
		cur := l.hw.Load()
		if hw <= cur {
			return false
		}
		if l.hw.CompareAndSwap(cur, hw) {
			l.notify()
			return true
		}
	}
}

// AssignLeaderEpoch records that epoch starts at the current log end offset
// (Kafka's maybeAssignEpochStartOffset on becoming leader, KIP-101): a
// follower that asks where an older epoch ends is then told even before the
// new leader writes anything. It returns that start offset.
func (l *Log) AssignLeaderEpoch(epoch int32) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Load() {
		return 0, ErrLogClosed
	}
	leo := l.leo.Load()
	if err := l.epochs.assign(epoch, leo); err != nil {
		return 0, fmt.Errorf("%w: leader-epoch checkpoint: %v", ErrStorage, err)
	}
	return leo, nil
}

// Notify wakes Wait callers without a change to the log: the replica layer
// calls it when leadership or the ISR changes, which a waiting produce must
// notice.
func (l *Log) Notify() { l.notify() }

// Closed reports whether the log was closed or deleted.
func (l *Log) Closed() bool { return l.closed.Load() }

// Wait returns a channel closed at the next append, HW change or Close.
func (l *Log) Wait() <-chan struct{} {
	if l.closed.Load() {
		return l.done // closed: a waiter must not sleep on a dead log
	}
	l.waitMu.Lock()
	defer l.waitMu.Unlock()
	return l.waitCh
}

func (l *Log) notify() {
	l.waitMu.Lock()
	close(l.waitCh)
	l.waitCh = make(chan struct{})
	l.waitMu.Unlock()
}

// LatestEpoch is the newest leader epoch in the log, -1 if none.
func (l *Log) LatestEpoch() int32 {
	if e, ok := l.epochs.latest(); ok {
		return e.Epoch
	}
	return undefinedEpoch
}

// EndOffsetForEpoch answers OffsetForLeaderEpoch exactly like Kafka's
// LeaderEpochFileCache.endOffsetFor; ok is false when the answer is
// (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET).
func (l *Log) EndOffsetForEpoch(epoch int32) (EpochEndOffset, bool) {
	e, off := l.epochs.endOffsetFor(epoch, l.leo.Load())
	return EpochEndOffset{LeaderEpoch: e, EndOffset: off}, e != undefinedEpoch
}

// Producers lists idempotent producers' state (DescribeProducers).
func (l *Log) Producers() []ProducerEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.producers.entries()
}

// InTransaction reports whether producerID, at epoch, has a transaction
// open in this log: its coordinator verified the partition already when
// the transaction's first batch was appended (KIP-890 skips the check
// then, as Kafka's hasOngoingTransaction does).
func (l *Log) InTransaction(producerID int64, epoch int16) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	ps := l.producers[producerID]
	return ps != nil && ps.Epoch == epoch && ps.TxnFirstOffset >= 0
}

// Size is the total bytes of all segments.
func (l *Log) Size() int64 {
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	var n int64
	for _, s := range l.segments {
		n += s.size.Load()
	}
	return n
}

// NumSegments is the number of segments (tests, metrics).
func (l *Log) NumSegments() int {
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	return len(l.segments)
}

func (l *Log) active() *segment { return l.segments[len(l.segments)-1] }

// segmentFor returns the index of the segment that would hold offset
// (the last with base <= offset), or -1.
func segmentFor(segs []*segment, offset int64) int {
	return sort.Search(len(segs), func(i int) bool { return segs[i].base > offset }) - 1
}

// Close flushes, snapshots producer state, trims preallocated files and
// closes everything. Waiters are woken; later calls return ErrLogClosed.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Load() {
		return ErrLogClosed
	}
	err := l.sealActiveLocked()
	if err == nil {
		err = l.syncTo(l.leo.Load())
	}
	if err == nil {
		err = l.writeSnapshotLocked(l.leo.Load())
	}
	l.closed.Store(true)
	close(l.done)
	l.bg.Wait()
	if cerr := l.closeFiles(); err == nil {
		err = cerr
	}
	l.notify()
	return err
}

// sealActiveLocked writes the active segment's indexes and trims its
// preallocated tail, so a clean shutdown leaves exact files.
func (l *Log) sealActiveLocked() error {
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	if len(l.segments) == 0 {
		return nil
	}
	a := l.active()
	if err := a.seal(); err != nil {
		return err
	}
	a.dirty.Store(true) // indexes must be synced with it
	return nil
}

func (l *Log) closeFiles() error {
	l.segMu.Lock()
	defer l.segMu.Unlock()
	l.closedFiles.Store(true)
	var err error
	for _, s := range l.segments {
		if cerr := s.close(); err == nil && cerr != nil {
			err = fmt.Errorf("%w: close segment %d: %v", ErrStorage, s.base, cerr)
		}
	}
	l.segments = nil
	return err
}

// Delete closes the log without flushing and removes its directory.
func (l *Log) Delete() error {
	l.closeForDelete()
	if err := l.fs.RemoveAll(l.dir); err != nil {
		return fmt.Errorf("%w: remove %s: %v", ErrStorage, l.dir, err)
	}
	return nil
}

// closeForDelete closes the log's files without flushing (its directory is
// about to be deleted).
func (l *Log) closeForDelete() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed.Swap(true) {
		close(l.done)
	}
	l.bg.Wait()
	l.closeFiles()
	l.notify()
}
