package storage

import (
	"errors"
	"fmt"

	"github.com/strom-project/strom/internal/record"
)

// The log cleaner (Kafka's LogCleaner / Cleaner): for logs with
// cleanup.policy containing "compact", it keeps only the latest record per
// key. One round over a log:
//
//  1. cleanable (cleaner_select.go) finds the dirty range [firstDirty,
//     firstUncleanable) from the cleaner-offset-checkpoint; the Manager
//     picks the log with the highest dirty ratio.
//  2. buildOffsetMap maps key → latest offset over the dirty range, in a
//     table bounded by log.cleaner.dedupe.buffer.size; when it fills up the
//     round ends at the last offset that fit.
//  3. Every segment from the log start up to that end is rewritten, in
//     groups that each fit one segment, keeping a record only if it is the
//     latest for its key (and, for a tombstone, its delete horizon has not
//     passed) — cleaner_batch.go.
//  4. Each group's new segment is written as *.cleaned, renamed *.swap and
//     swapped in under the log's lock (cleaner_swap.go); recovery finishes
//     an interrupted swap.
//  5. The end offset becomes the new checkpoint.
//
// Cleaning runs without the log's mutex (appends and reads continue); only
// the swap takes it, and it gives up if the segments changed meanwhile
// (retention, truncation, DeleteRecords).

// errCleaningAborted: the log changed under a round or is closing; the
// round's output is discarded and the log is tried again later.
var errCleaningAborted = errors.New("storage: log cleaning aborted")

// cleanRound holds what one round needs.
type cleanRound struct {
	ltc      logToClean
	memBytes int64 // dedupe buffer for this round
	ioBuf    int   // write buffer size
	done     func() bool
}

// clean runs one cleaning round and returns the offset the next round starts
// from (the new checkpoint).
func (l *Log) clean(r cleanRound) (int64, error) {
	gen := l.cleanGen.Load()
	ltc := r.ltc
	now := l.now().UnixMilli()
	cfg := l.config()
	m := newOffsetMap(r.memBytes, ltc.firstUncleanable-ltc.firstDirty)
	if err := l.buildOffsetMap(m, ltc.firstDirty, ltc.firstUncleanable, r.done); err != nil {
		return ltc.firstDirty, err
	}
	end := m.latestOffset + 1
	if end <= ltc.firstDirty {
		return ltc.firstDirty, nil // nothing mapped
	}
	l.mu.Lock()
	producerLast := make(map[int64]int64, len(l.producers))
	for id, p := range l.producers {
		if n := len(p.Batches); n > 0 {
			producerLast[id] = p.Batches[n-1].LastOffset
		}
	}
	l.mu.Unlock()
	f := &batchFilter{m: m, now: now, deleteRetentionMs: cfg.DeleteRetentionMs, producerLast: producerLast,
		roundEnd: ltc.firstUncleanable,
		lim:      decompressLimits(cfg)}
	l.segMu.RLock()
	var segs []*segment
	next := end
	for i, s := range l.segments[:len(l.segments)-1] {
		if s.base >= end {
			break
		}
		segs = append(segs, s)
		next = l.segments[i+1].base
	}
	l.segMu.RUnlock()
	if len(segs) == 0 {
		return ltc.firstDirty, nil
	}
	f.txn = newTxnTracker(l.abortsFor(segs[0].base, next))
	for _, g := range groupSegments(segs, next, cfg) {
		if err := l.cleanGroup(g, f, r, gen); err != nil {
			return ltc.firstDirty, err
		}
	}
	return end, nil
}

// buildOffsetMap maps the keys of [from, upTo) into m, stopping early when
// m is full (m.latestOffset then says how far it got). Control batches and
// aborted transactions are skipped: their keys are not live data keys.
func (l *Log) buildOffsetMap(m *offsetMap, from, upTo int64, done func() bool) error {
	l.segMu.RLock()
	segs := append([]*segment(nil), l.segments...)
	l.segMu.RUnlock()
	m.updateLatest(from - 1)
	full := false
	lim := decompressLimits(l.config()) // the cap produce validation applied
	txn := newTxnTracker(l.abortsFor(from, upTo))
	for _, s := range segs[max(segmentFor(segs, from), 0):] {
		if s.base >= upTo || full {
			break
		}
		if done() {
			return errCleaningAborted
		}
		var walkErr error
		_, err := s.scan(0, s.size.Load(), false, func(b []byte, h *record.Header, _ int64) bool {
			if h.LastOffset() < from {
				return true
			}
			if h.LastOffset() >= upTo {
				full = true // the range ends here (not really full)
				return false
			}
			if h.IsControl() {
				txn.onMarker(b, h)
			} else if !txn.onData(h) {
				walkErr = record.ForEachRecord(b, lim, func(h *record.Header, r *record.Record) bool {
					off := h.BaseOffset + int64(r.OffsetDelta)
					if r.Key == nil || off < from {
						return true
					}
					if !m.put(r.Key, off) {
						full = true
						return false
					}
					return true
				})
				if walkErr != nil || full {
					return false
				}
			}
			m.updateLatest(h.LastOffset())
			return true
		})
		if err == nil {
			err = walkErr
		}
		if err != nil {
			return fmt.Errorf("%w: building offset map of segment %d: %v", ErrCorruptMessage, s.base, err)
		}
	}
	return nil
}

// cleanGroup rewrites one group of segments into a new segment and swaps
// it in.
func (l *Log) cleanGroup(group []*segment, f *batchFilter, r cleanRound, gen int64) error {
	cleaned, err := createCleanedSegment(l.fs, l.dir, group[0].base)
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			cleaned.discardCleaned()
		}
	}()
	interval := int64(l.config().IndexIntervalBytes)
	var out []byte
	var infos []batchInfo
	flush := func() error {
		if len(out) == 0 {
			return nil
		}
		err := cleaned.write(out, infos, interval)
		out, infos = out[:0], infos[:0]
		return err
	}
	for _, s := range group {
		if r.done() {
			return errCleaningAborted
		}
		var ferr error
		_, err := s.scan(0, s.size.Load(), false, func(b []byte, h *record.Header, _ int64) bool {
			n := len(out)
			if out, ferr = f.filter(out, b, h); ferr != nil {
				return false
			}
			if len(out) > n {
				nh, _ := record.ParseHeader(out[n:])
				infos = append(infos, infoOf(&nh))
			}
			if len(out) >= r.ioBuf {
				ferr = flush()
			}
			return ferr == nil
		})
		if err == nil {
			err = ferr
		}
		if err != nil {
			return fmt.Errorf("cleaning segment %d: %w", s.base, err)
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if err := cleaned.finishCleaned(); err != nil {
		return err
	}
	if err := l.replaceSegments(cleaned, group, gen, f.txn.takeKept()); err != nil {
		if errors.Is(err, errSimulatedCrash) {
			ok = true // leave the files exactly as the "crash" did
		}
		return err
	}
	ok = true
	return nil
}
