package storage

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/strom-project/strom/internal/record"
)

// Swapping a cleaned segment in (Kafka's replaceSegments), crash-safe:
//
//  1. the new segment is written and fsynced as <base>.{index,timeindex,log}.cleaned
//  2. renamed to *.swap, the .log last: <base>.log.swap existing is the
//     commit point (recovery completes the swap from here on, and deletes
//     *.cleaned files before it)
//  3. the old segments leave the in-memory list and are renamed *.deleted
//     (removed after file.delete.delay.ms, so readers holding them finish)
//  4. *.swap renamed to the final names, the .log last
//
// Recovery (completeSwap) deletes every old segment file whose base offset
// lies in the swap segment's offset range, then drops the .swap suffixes.

// errSimulatedCrash is what a test's cleanerHook returns to stop a swap as a
// crash would: nothing is cleaned up.
var errSimulatedCrash = errors.New("storage: simulated crash (test hook)")

var segmentSuffixes = []string{indexSuffix, timeIndexSuffix, logSuffix} // the .log last

// createCleanedSegment opens a fresh <base>.*.cleaned segment for writing.
func createCleanedSegment(fsys FS, dir string, base int64) (*segment, error) {
	for _, suf := range []string{indexSuffix, timeIndexSuffix} {
		// Created (empty) now: a segment always has both index files,
		// and the swap renames them.
		f, err := fsys.OpenFile(segmentName(dir, base, suf)+cleanedSuffix, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return nil, fmt.Errorf("%w: create cleaned index: %v", ErrStorage, err)
		}
		f.Close()
	}
	f, err := fsys.OpenFile(segmentName(dir, base, logSuffix)+cleanedSuffix, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%w: create cleaned segment %d: %v", ErrStorage, base, err)
	}
	s := &segment{fs: fsys, dir: dir, base: base, log: f, rollingTS: -1, nextOffset: base}
	s.maxTS.Store(math.MinInt64)
	s.maxTSOffset.Store(-1)
	s.index = newOffsetIndex(fsys, segmentName(dir, base, indexSuffix)+cleanedSuffix, true)
	s.timeIndex = newTimeIndex(fsys, segmentName(dir, base, timeIndexSuffix)+cleanedSuffix, true)
	s.txn = newTxnIndex(fsys, segmentName(dir, base, txnIndexSuffix)+cleanedSuffix)
	s.indexChecked.Store(true)
	return s, nil
}

// finishCleaned closes the time index with the segment's largest timestamp
// (as Kafka does when a segment becomes inactive, so retention reads it
// from the index rather than the file's mtime), writes the indexes and
// fsyncs everything.
func (s *segment) finishCleaned() error {
	if ts := s.maxTS.Load(); ts != math.MinInt64 {
		if last, ok := s.timeIndex.last(); !ok || ts > last.Timestamp {
			s.timeIndex.append(timeEntry{ts, int32(s.maxTSOffset.Load() - s.base)})
		}
	}
	if err := s.seal(); err != nil {
		return err
	}
	if err := s.sync(true); err != nil {
		return err
	}
	s.dirty.Store(false)
	return nil
}

// discardCleaned closes and removes an unfinished cleaned segment.
func (s *segment) discardCleaned() {
	s.close()
	for _, suf := range segmentSuffixes {
		s.fs.Remove(segmentName(s.dir, s.base, suf) + cleanedSuffix)
	}
}

func (l *Log) hook(step string) error {
	if l.cleanerHook == nil {
		return nil
	}
	return l.cleanerHook(step)
}

// replaceSegments swaps cleaned in for group (steps 2–4 above). It gives up
// with errCleaningAborted if the log closed, was truncated, or the group's
// segments are no longer in the log as they were (retention or
// DeleteRecords removed some).
func (l *Log) replaceSegments(cleaned *segment, group []*segment, gen int64, aborts []abortedTxn) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed.Load() || l.cleanGen.Load() != gen {
		return errCleaningAborted
	}
	k := segmentFor(l.segments, group[0].base)
	if k < 0 || k+len(group) >= len(l.segments) {
		return errCleaningAborted
	}
	for i, s := range group {
		if l.segments[k+i] != s {
			return errCleaningAborted
		}
	}
	if err := l.hook("cleaned"); err != nil {
		return err
	}
	base := cleaned.base
	for _, suf := range segmentSuffixes {
		name := segmentName(l.dir, base, suf)
		if err := l.fs.Rename(name+cleanedSuffix, name+swapSuffix); err != nil {
			return fmt.Errorf("%w: %v", ErrStorage, err)
		}
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		return fmt.Errorf("%w: %v", ErrStorage, err)
	}
	// From here the swap is committed on disk: recovery finishes it.
	if err := l.hook("swap"); err != nil {
		return err
	}
	cleaned.txn.ents, cleaned.txn.loaded = aborts, true // not yet shared
	l.segMu.Lock()
	segs := make([]*segment, 0, len(l.segments)-len(group)+1)
	segs = append(segs, l.segments[:k]...)
	segs = append(segs, cleaned)
	segs = append(segs, l.segments[k+len(group):]...)
	l.segments = segs
	l.segMu.Unlock()
	l.scheduleDeleteLocked(group)
	if err := l.hook("deleted"); err != nil {
		return err
	}
	for _, suf := range segmentSuffixes {
		name := segmentName(l.dir, base, suf)
		if err := l.fs.Rename(name+swapSuffix, name); err != nil {
			l.logger.Error("finishing segment swap", "file", name, "err", err)
		}
	}
	cleaned.index.setPath(segmentName(l.dir, base, indexSuffix))
	cleaned.timeIndex.setPath(segmentName(l.dir, base, timeIndexSuffix))
	// The replaced segments' .txnindex files went with them: the cleaned
	// segment holds the aborts whose markers it kept for aborted data the
	// round removed (Kafka's cleaned index). No aborted data is left below
	// the round's end, so a crash before this loses nothing a fetch needs.
	if err := cleaned.txn.replace(segmentName(l.dir, base, txnIndexSuffix), aborts); err != nil {
		l.logger.Error("carrying aborted transactions to the cleaned segment", "base", base, "err", err)
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		return fmt.Errorf("%w: %v", ErrStorage, err)
	}
	l.logger.Debug("swapped in cleaned segment", "base", base, "replaced", len(group), "bytes", cleaned.size.Load())
	return nil
}

func (ix *indexFile[E]) setPath(p string) {
	ix.mu.Lock()
	ix.path = p
	ix.mu.Unlock()
}

// completeSwap finishes a swap interrupted after its commit point (step 2):
// the old segments covered by <base>.log.swap are deleted and the .swap
// files take their final names. An index without a .swap is rebuilt later
// (an old segment's index must not survive for the new log).
func (l *Log) completeSwap(base int64, bases []int64) error {
	swapLog := segmentName(l.dir, base, logSuffix) + swapSuffix
	f, err := l.fs.OpenFile(swapLog, os.O_RDONLY, 0)
	if err != nil {
		return fmt.Errorf("%w: open %s: %v", ErrStorage, swapLog, err)
	}
	tmp := &segment{fs: l.fs, dir: l.dir, base: base, log: f}
	st, err := f.Stat()
	last := base
	if err == nil {
		_, err = tmp.scan(0, st.Size(), false, func(_ []byte, h *record.Header, _ int64) bool {
			last = max(last, h.LastOffset())
			return true
		})
	}
	f.Close()
	if err != nil {
		return fmt.Errorf("%w: reading %s: %v", ErrStorage, swapLog, err)
	}
	for _, b := range bases {
		if b < base || b > last {
			continue
		}
		for _, suf := range segmentSuffixes {
			if err := l.fs.Remove(segmentName(l.dir, b, suf)); err != nil && !isNotExist(err) {
				return fmt.Errorf("%w: %v", ErrStorage, err)
			}
		}
	}
	for _, suf := range segmentSuffixes {
		name := segmentName(l.dir, base, suf)
		if err := l.fs.Rename(name+swapSuffix, name); err != nil && !isNotExist(err) {
			return fmt.Errorf("%w: %v", ErrStorage, err)
		}
	}
	l.logger.Info("recovery completed an interrupted cleaner swap", "segment", filepath.Base(swapLog), "last_offset", last)
	return l.fs.SyncDir(l.dir)
}
