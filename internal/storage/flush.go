package storage

import (
	"fmt"
	"sync"
)

// groupCommit coalesces fsyncs: any number of appenders waiting for
// durability share one round of fdatasync. A round first reads the LEO, so
// everything below it is already in the page cache, then syncs every dirty
// segment; when it finishes, all waiters whose data is below that LEO
// return. A waiter that arrives during a round waits for it, then starts the
// next round itself if the finished one did not cover it — so under load
// each fsync covers every append that arrived during the previous one.
type groupCommit struct {
	mu      sync.Mutex
	cond    *sync.Cond
	running bool
	durable int64 // offsets below are durable
}

// syncTo returns once every offset below target is durable. It must not be
// called with segMu held; it may be called with mu held (Close, roll) or not
// (the Append hot path, which releases mu first).
func (l *Log) syncTo(target int64) error {
	g := &l.gc
	g.mu.Lock()
	defer g.mu.Unlock()
	for {
		// A truncation may have removed offsets below target: what is
		// gone needs no sync, so never wait past the current LEO.
		target = min(target, l.leo.Load())
		if g.durable >= target || l.closedFiles.Load() {
			return nil
		}
		if g.running {
			g.cond.Wait()
			continue
		}
		g.running = true
		g.mu.Unlock()
		upTo, err := l.syncRound()
		g.mu.Lock()
		g.running = false
		g.cond.Broadcast()
		if err != nil {
			return err
		}
		g.durable = max(g.durable, upTo)
	}
}

// syncRound fsyncs every dirty segment (with indexes for inactive ones) and,
// if a segment was created, the directory. It returns the LEO read before
// syncing: everything below it is now durable.
func (l *Log) syncRound() (int64, error) {
	upTo := l.leo.Load()
	l.segMu.RLock()
	var dirty []*segment
	for i, s := range l.segments {
		if s.dirty.Swap(false) {
			dirty = append(dirty, s)
			_ = i
		}
	}
	activeBase := int64(-1)
	if len(l.segments) > 0 {
		activeBase = l.active().base
	}
	l.segMu.RUnlock()
	// Segment files are closed only under segMu.Lock by truncation,
	// retention (after file.delete.delay.ms) or Close; a sync racing with
	// that fails on a closed file, which is harmless: the segment is gone.
	for _, s := range dirty {
		if err := s.sync(s.base != activeBase); err != nil {
			if s.isClosed() {
				continue
			}
			s.dirty.Store(true)
			return 0, err
		}
	}
	if l.dirDirty.Swap(false) {
		if err := l.fs.SyncDir(l.dir); err != nil {
			l.dirDirty.Store(true)
			return 0, fmt.Errorf("%w: sync dir %s: %v", ErrStorage, l.dir, err)
		}
	}
	for {
		rp := l.recoveryPoint.Load()
		if upTo <= rp || l.recoveryPoint.CompareAndSwap(rp, upTo) {
			break
		}
	}
	l.lastFlushMs.Store(l.now().UnixMilli())
	return upTo, nil
}

// Flush makes everything appended so far durable (Kafka's Log.flush) and
// advances the recovery point.
func (l *Log) Flush() error {
	if l.closed.Load() {
		return ErrLogClosed
	}
	l.mu.Lock()
	l.unflushed = 0
	l.mu.Unlock()
	return l.syncTo(l.leo.Load())
}

// flushIfDue is the flush.ms check the Manager runs periodically.
func (l *Log) flushIfDue(nowMs int64) error {
	cfg := l.config()
	if cfg.FlushMs <= 0 || nowMs-l.lastFlushMs.Load() < cfg.FlushMs || l.recoveryPoint.Load() >= l.leo.Load() {
		return nil
	}
	return l.Flush()
}
