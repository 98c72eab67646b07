package storage

import (
	"fmt"
	"time"
)

// DeleteRecordsBefore moves the log start offset up to offset (the
// DeleteRecords API). Whole segments below it are deleted by the next
// retention pass. offset may not exceed the high watermark.
func (l *Log) DeleteRecordsBefore(offset int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Load() {
		return ErrLogClosed
	}
	if offset > l.hw.Load() {
		return fmt.Errorf("%w: delete before %d above high watermark %d", ErrOffsetOutOfRange, offset, l.hw.Load())
	}
	return l.maybeIncrementLogStartOffsetLocked(offset)
}

func (l *Log) maybeIncrementLogStartOffsetLocked(offset int64) error {
	if offset <= l.lso.Load() {
		return nil
	}
	l.lso.Store(offset)
	if err := l.epochs.truncateFromStart(offset); err != nil {
		return fmt.Errorf("%w: %v", ErrStorage, err)
	}
	l.notify()
	return nil
}

// DeleteOldSegments is one retention pass (Kafka's deleteOldSegments):
// segments wholly below the log start offset, then those older than
// retention.ms (by largest timestamp), then the oldest while the log exceeds
// retention.bytes. Only segments wholly below the high watermark go, and
// never the active one — unless every segment is expired by time, in which
// case the active one is rolled first so old data does not linger in a
// quiet partition. It returns the number of segments deleted.
func (l *Log) DeleteOldSegments() (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Load() {
		return 0, ErrLogClosed
	}
	cfg := l.config()
	now := l.now().UnixMilli()
	l.expireProducersLocked(now, cfg)
	n := l.deleteWhileLocked(func(s *segment, next int64, _ int64) bool { return next <= l.lso.Load() })
	if !cfg.Delete() {
		// A compact-only log keeps every segment for the cleaner (Kafka:
		// only segments below the log start offset go).
		if n > 0 {
			l.deleteSnapshots(func(o int64) bool { return o < l.segments[0].base })
		}
		return n, nil
	}
	if cfg.RetentionMs >= 0 {
		expired := func(s *segment, _ int64, _ int64) bool { return now-s.largestTimestamp() > cfg.RetentionMs }
		if l.allExpiredLocked(expired) {
			if err := l.rollLocked(l.leo.Load(), cfg, now); err != nil {
				return n, err
			}
		}
		n += l.deleteWhileLocked(expired)
	}
	if cfg.RetentionBytes >= 0 {
		excess := l.sizeLocked() - cfg.RetentionBytes
		n += l.deleteWhileLocked(func(s *segment, _ int64, _ int64) bool {
			if excess-s.size.Load() < 0 {
				return false
			}
			excess -= s.size.Load()
			return true
		})
	}
	if n > 0 {
		l.deleteSnapshots(func(o int64) bool { return o < l.segments[0].base })
	}
	return n, nil
}

// allExpiredLocked: every segment, the active one included, is past
// retention.ms, non-empty and below the HW.
func (l *Log) allExpiredLocked(expired func(*segment, int64, int64) bool) bool {
	act := l.active()
	if act.size.Load() == 0 || l.hw.Load() < l.leo.Load() {
		return false
	}
	for _, s := range l.segments {
		if !expired(s, 0, 0) {
			return false
		}
	}
	return true
}

func (l *Log) sizeLocked() int64 {
	var n int64
	for _, s := range l.segments {
		n += s.size.Load()
	}
	return n
}

// deleteWhileLocked deletes segments from the oldest while pred holds for
// a segment that has a successor and lies wholly below the HW.
func (l *Log) deleteWhileLocked(pred func(s *segment, next int64, hw int64) bool) int {
	hw := l.hw.Load()
	k := 0
	for k < len(l.segments)-1 {
		s, next := l.segments[k], l.segments[k+1].base
		if next > hw || !pred(s, next, hw) {
			break
		}
		k++
	}
	if k == 0 {
		return 0
	}
	doomed := append([]*segment(nil), l.segments[:k]...)
	l.segMu.Lock()
	l.segments = append([]*segment(nil), l.segments[k:]...)
	l.segMu.Unlock()
	newStart := l.segments[0].base
	if err := l.maybeIncrementLogStartOffsetLocked(newStart); err != nil {
		l.logger.Error("moving log start offset", "offset", newStart, "err", err)
	}
	l.scheduleDeleteLocked(doomed)
	l.logger.Info("deleted log segments", "count", k, "log_start_offset", l.lso.Load())
	return k
}

// scheduleDeleteLocked renames segments already unlinked from l.segments
// to *.deleted and removes them after file.delete.delay.ms (retention and
// the cleaner's swap).
func (l *Log) scheduleDeleteLocked(doomed []*segment) {
	for _, s := range doomed {
		s.renameDeleted()
	}
	l.dirDirty.Store(true)
	delay := time.Duration(l.config().FileDeleteDelayMs) * time.Millisecond
	l.bg.Add(1)
	go func() {
		defer l.bg.Done()
		if delay > 0 {
			// A Read that picked a doomed segment before the swap may
			// still be using its file: keep it open for the delay.
			t := time.NewTimer(delay)
			defer t.Stop()
			select {
			case <-t.C:
			case <-l.done:
			}
		}
		for _, s := range doomed {
			s.remove()
		}
	}()
}

// expireProducersLocked drops producers idle longer than
// producer.id.expiration.ms (Kafka's removeExpiredProducers).
func (l *Log) expireProducersLocked(now int64, cfg *LogConfig) {
	for id, p := range l.producers {
		// An open transaction keeps its producer (Kafka: only producers
		// without currentTxnFirstOffset expire), or the LSO would jump.
		if p.TxnFirstOffset < 0 && now-p.LastTimestamp > cfg.ProducerIDExpirationMs {
			delete(l.producers, id)
		}
	}
}
