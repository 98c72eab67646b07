package storage

import (
	"fmt"
)

// TruncateTo removes everything at and after offset (a follower truncating
// to the leader's epoch end offset, KIP-101/279). When offset falls inside a
// batch the whole batch goes, so the LEO becomes that batch's base offset.
func (l *Log) TruncateTo(offset int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Load() {
		return ErrLogClosed
	}
	if offset >= l.leo.Load() {
		// Nothing to cut, but an epoch entry may start at the LEO: this
		// replica led that epoch and wrote nothing before losing
		// leadership. The new leader never had it, so it must go or the
		// next fetch would diverge on it again (Kafka: truncateTo).
		if err := l.epochs.truncateFromEnd(l.leo.Load()); err != nil {
			return fmt.Errorf("%w: %v", ErrStorage, err)
		}
		return nil
	}
	l.noteTruncation(offset)
	if offset <= l.segments[0].base || offset < l.lso.Load() {
		return l.truncateFullyLocked(max(offset, 0))
	}
	k := segmentFor(l.segments, offset) // >= 1 or base < offset: see above
	newLEO := offset
	var s *segment
	if l.segments[k].base == offset {
		// Whole segments go; the previous one becomes active again.
		l.removeSegmentsFromLocked(k)
		s = l.segments[k-1]
	} else {
		l.removeSegmentsFromLocked(k + 1)
		s = l.segments[k]
		pos, h, found, err := s.findPosition(offset, s.size.Load())
		if err != nil {
			return err
		}
		if found {
			newLEO = min(offset, h.BaseOffset)
			if err := s.log.Truncate(pos); err != nil {
				return fmt.Errorf("%w: truncate segment %d: %v", ErrStorage, s.base, err)
			}
			s.fileSize = pos
			s.size.Store(pos)
		}
	}
	// Rebuild the segment's indexes and timestamps for what is left.
	if _, err := l.recoverSegment(s); err != nil {
		l.logger.Warn("segment invalid after truncation", "segment", s.base, "err", err)
	}
	s.nextOffset = max(newLEO, s.base)
	return l.afterTruncateLocked(newLEO)
}

// removeSegmentsFromLocked deletes segments k.. immediately (truncation).
func (l *Log) removeSegmentsFromLocked(k int) {
	if k >= len(l.segments) {
		return
	}
	l.segMu.Lock()
	doomed := l.segments[k:]
	l.segments = append([]*segment(nil), l.segments[:k]...)
	// Readers hold segMu.RLock for a whole read, so closing here is safe.
	for _, s := range doomed {
		s.renameDeleted()
		s.remove()
	}
	l.segMu.Unlock()
	l.dirDirty.Store(true)
}

func (l *Log) afterTruncateLocked(newLEO int64) error {
	l.leo.Store(newLEO)
	if l.hw.Load() > newLEO {
		l.hw.Store(newLEO)
	}
	if l.recoveryPoint.Load() > newLEO {
		l.recoveryPoint.Store(newLEO)
	}
	l.gc.mu.Lock()
	l.gc.durable = min(l.gc.durable, newLEO)
	l.gc.mu.Unlock()
	if err := l.epochs.truncateFromEnd(newLEO); err != nil {
		return fmt.Errorf("%w: %v", ErrStorage, err)
	}
	if err := l.loadProducerState(newLEO); err != nil {
		return err
	}
	l.active().dirty.Store(true)
	l.notify()
	return nil
}

// noteTruncation tells the cleaner: its checkpoint may be past offset now,
// and an in-flight round must not swap.
func (l *Log) noteTruncation(offset int64) {
	l.cleanGen.Add(1)
	for {
		cur := l.truncatedTo.Load()
		if cur >= 0 && cur <= offset || l.truncatedTo.CompareAndSwap(cur, offset) {
			return
		}
	}
}

// TruncateFullyAndStartAt empties the log and restarts it at offset (a
// follower whose fetch offset fell below the leader's log start).
func (l *Log) TruncateFullyAndStartAt(offset int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Load() {
		return ErrLogClosed
	}
	return l.truncateFullyLocked(offset)
}

func (l *Log) truncateFullyLocked(offset int64) error {
	l.noteTruncation(offset)
	cfg := l.config()
	var prealloc int64
	if cfg.Preallocate {
		prealloc = cfg.SegmentBytes
	}
	l.segMu.Lock()
	for _, s := range l.segments {
		s.renameDeleted()
		s.remove()
	}
	l.segments = nil
	seg, err := l.newSegment(offset, prealloc, 0)
	if err == nil {
		l.segments = []*segment{seg}
	}
	l.segMu.Unlock()
	if err != nil {
		return err
	}
	l.epochs.mu.Lock()
	l.epochs.entries = nil
	err = l.epochs.flushLocked()
	l.epochs.mu.Unlock()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrStorage, err)
	}
	l.deleteSnapshots(func(int64) bool { return true })
	l.producers = producerStates{}
	l.firstUnstable.Store(-1)
	l.lso.Store(offset)
	l.leo.Store(offset)
	l.hw.Store(offset)
	l.recoveryPoint.Store(offset)
	l.gc.mu.Lock()
	l.gc.durable = offset
	l.gc.mu.Unlock()
	l.unflushed = 0
	l.notify()
	return nil
}
