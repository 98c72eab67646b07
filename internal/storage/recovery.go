package storage

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/strom-project/strom/internal/record"
)

// load opens the segments in l.dir and recovers the log (Kafka's LogLoader).
//
// After a clean shutdown every file is trusted. After a crash, every segment
// from the one holding the recovery point to the end is scanned: each batch's
// CRC and offsets are checked, and the segment is truncated at the first
// batch that fails (a torn write, a zeroed preallocated tail, a bit flip);
// later segments are deleted, because anything after a hole is unreachable.
// Everything below the first bad byte is kept — nothing valid is dropped.
func (l *Log) load(opts Options) error {
	bases, err := l.cleanDirAndListSegments()
	if err != nil {
		return err
	}
	if l.epochs, err = loadEpochCache(l.fs, l.dir); err != nil {
		return fmt.Errorf("%w: leader-epoch checkpoint: %v", ErrStorage, err)
	}
	cfg := l.config()
	if len(bases) == 0 {
		return l.initEmpty(max(opts.LogStartOffset, 0), cfg)
	}
	for _, b := range bases {
		s, err := openSegment(l.fs, l.dir, b)
		if err != nil {
			return err
		}
		l.segments = append(l.segments, s)
	}
	if opts.Clean {
		if err := l.loadActiveState(); err != nil {
			return err
		}
	} else if err := l.recoverFrom(opts.RecoveryPoint); err != nil {
		return err
	}
	act := l.active()
	leo := act.nextOffset
	l.leo.Store(leo)
	lso := min(max(opts.LogStartOffset, l.segments[0].base), leo)
	l.lso.Store(lso)
	if err := l.epochs.truncateFromEnd(leo); err != nil {
		return fmt.Errorf("%w: %v", ErrStorage, err)
	}
	if err := l.epochs.truncateFromStart(lso); err != nil {
		return fmt.Errorf("%w: %v", ErrStorage, err)
	}
	prefer := leo
	if !opts.Clean {
		// A snapshot past the recovery point may cover markers whose
		// .txnindex entries were not flushed: replaying from one below it
		// re-derives them (txnIndex.add skips entries it already has).
		prefer = max(opts.RecoveryPoint, 0)
	}
	if err := l.loadProducerStatePreferring(leo, prefer); err != nil {
		return err
	}
	rp := leo
	if !opts.Clean {
		rp = min(max(opts.RecoveryPoint, 0), leo)
	}
	l.recoveryPoint.Store(rp)
	l.gc.durable = rp
	// The replica layer owns the HW from here on; it starts at the
	// checkpoint (Kafka: min(checkpoint, LEO)).
	hw := leo
	if opts.HighWatermark >= 0 {
		hw = min(opts.HighWatermark, leo)
	}
	l.hw.Store(max(hw, lso))
	if cfg.Preallocate {
		act.preallocLimit = cfg.SegmentBytes
		act.growPreallocation(act.size.Load(), 1)
	}
	return nil
}

// cleanDirAndListSegments removes leftovers of interrupted operations
// (*.deleted, *.tmp, *.cleaned), completes interrupted cleaner swaps
// (*.log.swap, see cleaner_swap.go) and returns segment base offsets.
func (l *Log) cleanDirAndListSegments() ([]int64, error) {
	var swaps []int64
	bases, err := l.listDir(func(name string) {
		if b, ok := parseOffsetName(name, logSuffix+swapSuffix); ok {
			swaps = append(swaps, b)
		}
	})
	if err != nil || len(swaps) == 0 {
		return bases, err
	}
	sort.Slice(swaps, func(i, j int) bool { return swaps[i] < swaps[j] })
	for _, b := range swaps {
		if err := l.completeSwap(b, bases); err != nil {
			return nil, err
		}
	}
	return l.listDir(nil)
}

// listDir removes leftovers and returns the .log base offsets, ascending;
// swap sees *.swap names. A *.swap without its .log.swap (an index whose
// log did not get that far) is removed too, once no swap is pending.
func (l *Log) listDir(swap func(name string)) ([]int64, error) {
	ents, err := l.fs.ReadDir(l.dir)
	if err != nil {
		return nil, fmt.Errorf("%w: list %s: %v", ErrStorage, l.dir, err)
	}
	var bases []int64
	for _, e := range ents {
		name := e.Name()
		switch {
		case strings.HasSuffix(name, swapSuffix) && swap != nil:
			swap(name) // kept for completeSwap
		case strings.HasSuffix(name, deletedSuffix), strings.HasSuffix(name, ".tmp"),
			strings.HasSuffix(name, cleanedSuffix), strings.HasSuffix(name, swapSuffix):
			l.fs.Remove(l.dir + "/" + name)
		default:
			if b, ok := parseOffsetName(name, logSuffix); ok {
				bases = append(bases, b)
			}
		}
	}
	sort.Slice(bases, func(i, j int) bool { return bases[i] < bases[j] })
	return bases, nil
}

func (l *Log) initEmpty(start int64, cfg *LogConfig) error {
	var prealloc int64
	if cfg.Preallocate {
		prealloc = cfg.SegmentBytes
	}
	seg, err := l.newSegment(start, prealloc, 0)
	if err != nil {
		return err
	}
	l.segments = []*segment{seg}
	l.leo.Store(start)
	l.lso.Store(start)
	l.hw.Store(start)
	l.recoveryPoint.Store(start)
	l.gc.durable = start
	l.deleteSnapshots(func(int64) bool { return true })
	if err := l.epochs.truncateFromEnd(start); err != nil {
		return fmt.Errorf("%w: %v", ErrStorage, err)
	}
	return l.epochs.truncateFromStart(start)
}

// recoverFrom validates every segment from the one containing rp onwards.
func (l *Log) recoverFrom(rp int64) error {
	first := max(segmentFor(l.segments, rp), 0)
	for i := first; i < len(l.segments); i++ {
		s := l.segments[i]
		end, cause := l.recoverSegment(s)
		if cause == nil {
			continue
		}
		// A preallocated file ends in zeros after the last write: that
		// is the expected end, not corruption, so only the span up to the
		// last non-zero byte counts as truncated data.
		dataEnd := s.lastNonZero(end, s.fileSize)
		later := len(l.segments) - i - 1
		if dataEnd == end && later == 0 {
			l.logger.Debug("recovery: segment ends in its preallocated zero tail", "segment", s.base, "position", end)
		} else {
			l.logger.Warn("recovery truncated log segment at the first invalid batch",
				"segment", s.base, "position", end, "bytes_truncated", dataEnd-end,
				"zero_tail_bytes", s.fileSize-dataEnd, "segments_deleted", later, "cause", cause)
		}
		if err := s.log.Truncate(end); err != nil {
			return fmt.Errorf("%w: truncate segment %d: %v", ErrStorage, s.base, err)
		}
		s.fileSize = end
		s.size.Store(end)
		for _, later := range l.segments[i+1:] {
			later.renameDeleted()
			later.remove()
		}
		l.segments = l.segments[:i+1]
		break
	}
	return nil
}

// recoverSegment rebuilds a segment's indexes and timestamps from a verified
// scan and feeds the epoch cache. It returns where valid data ends and, if
// that is before the end of the file, why.
func (l *Log) recoverSegment(s *segment) (int64, error) {
	interval := int64(l.config().IndexIntervalBytes)
	s.index.reset()
	s.timeIndex.reset()
	s.indexChecked.Store(true)
	s.bytesSinceIndex, s.rollingTS, s.nextOffset = 0, -1, s.base
	var epochErr error
	end, err := s.scan(0, s.fileSize, true, func(b []byte, h *record.Header, pos int64) bool {
		info := infoOf(h)
		s.indexBatch(&info, pos, interval)
		if h.PartitionLeaderEpoch >= 0 {
			if e := l.epochs.assign(h.PartitionLeaderEpoch, h.BaseOffset); e != nil {
				epochErr = e
				return false
			}
		}
		return true
	})
	if epochErr != nil {
		return end, fmt.Errorf("%w: leader-epoch checkpoint: %v", ErrStorage, epochErr)
	}
	s.size.Store(end)
	s.dirty.Store(true)
	// Aborts whose marker did not survive go too; replay re-adds the rest.
	if terr := s.txn.truncateTo(s.nextOffset); terr != nil {
		return end, nil // an I/O error is not corruption: do not truncate
	}
	if err == nil && end < s.fileSize {
		err = errors.New("scan stopped early")
	}
	if errors.Is(err, ErrStorage) {
		return end, nil // an I/O error is not corruption: do not truncate
	}
	return end, err
}

// loadActiveState restores the active segment's in-memory state after a
// clean shutdown without reading it all: from the last index entry on.
func (l *Log) loadActiveState() error {
	s := l.active()
	if err := s.loadIndexes(int64(l.config().IndexIntervalBytes)); err != nil {
		return err
	}
	size := s.size.Load()
	var pos int64
	if e, ok := s.index.last(); ok {
		pos = int64(e.Position)
	}
	s.nextOffset = s.base
	if e, ok := s.index.last(); ok {
		s.nextOffset = s.base + int64(e.RelOffset) + 1
	}
	if size > 0 {
		h, err := s.headerAt(0, size)
		if err != nil {
			return err
		}
		s.rollingTS = h.MaxTimestamp
	}
	s.largestTimestamp()
	_, err := s.scan(pos, size, false, func(b []byte, h *record.Header, p int64) bool {
		s.nextOffset = h.NextOffset()
		if h.MaxTimestamp > s.maxTS.Load() {
			s.maxTS.Store(h.MaxTimestamp)
			s.maxTSOffset.Store(h.LastOffset())
		}
		s.bytesSinceIndex += int64(h.Size())
		return true
	})
	if err != nil {
		return fmt.Errorf("%w: active segment %d after clean shutdown: %v", ErrCorruptMessage, s.base, err)
	}
	return nil
}

// loadProducerState restores producer state at leo from the newest snapshot
// at or below it plus the batches after it (Kafka's loadProducerState).
// Without a snapshot only the last two segments are replayed, as Kafka does,
// to keep startup bounded.
func (l *Log) loadProducerState(leo int64) error { return l.loadProducerStatePreferring(leo, leo) }

// loadProducerStatePreferring is loadProducerState replaying from at or
// below prefer.
func (l *Log) loadProducerStatePreferring(leo, prefer int64) error {
	l.deleteSnapshots(func(o int64) bool { return o > leo })
	offs, err := l.listSnapshots()
	if err != nil {
		return err
	}
	from := l.segments[max(len(l.segments)-2, 0)].base
	if prefer < leo {
		// Replay from below prefer (the recovery point): a snapshot at or
		// below it, else the segment holding it, which recovery has just
		// scanned anyway.
		for len(offs) > 0 && offs[len(offs)-1] > prefer {
			offs = offs[:len(offs)-1]
		}
		from = min(from, l.segments[max(segmentFor(l.segments, prefer), 0)].base)
	}
	l.producers = producerStates{}
	for i := len(offs) - 1; i >= 0; i-- {
		b, err := readFile(l.fs, snapshotName(l.dir, offs[i]))
		if err == nil {
			if ps, derr := decodeSnapshot(b); derr == nil {
				l.producers, from = ps, offs[i]
				break
			}
		}
		l.logger.Warn("ignoring unreadable producer snapshot", "offset", offs[i])
		l.fs.Remove(snapshotName(l.dir, offs[i]))
	}
	err = l.replayProducers(from, leo)
	l.refreshUnstableLocked()
	return err
}

// replayProducers applies batches in [from, leo) to the producer state.
func (l *Log) replayProducers(from, leo int64) error {
	if from >= leo {
		return nil
	}
	for i := max(segmentFor(l.segments, from), 0); i < len(l.segments); i++ {
		s := l.segments[i]
		size := s.size.Load()
		pos, _, ok, err := s.findPosition(from, size)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		var ierr error
		_, err = s.scan(pos, size, false, func(b []byte, h *record.Header, p int64) bool {
			if h.BaseOffset >= from {
				ierr = l.replayBatchLocked(s, b, h)
			}
			return ierr == nil
		})
		if err == nil {
			err = ierr
		}
		if err != nil {
			return fmt.Errorf("%w: replaying producer state in segment %d: %v", ErrCorruptMessage, s.base, err)
		}
	}
	return nil
}

// lastNonZero returns the offset just past the last non-zero byte in
// [from, to), or from when that range is all zeros (a preallocated tail).
// A read error counts as data, so the truncation is reported, not hidden.
func (s *segment) lastNonZero(from, to int64) int64 {
	const chunk = 64 << 10
	buf := make([]byte, chunk)
	for hi := to; hi > from; {
		lo := max(from, hi-chunk)
		b := buf[:hi-lo]
		if err := s.readAt(b, lo); err != nil {
			return hi
		}
		for j := len(b) - 1; j >= 0; j-- {
			if b[j] != 0 {
				return lo + int64(j) + 1
			}
		}
		hi = lo
	}
	return from
}
