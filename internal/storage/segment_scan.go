package storage

import (
	"fmt"
	"math"

	"github.com/strom-project/strom/internal/record"
)

const scanChunk = 1 << 20

// headerAt reads the batch header at pos (pos+HeaderSize <= end required).
func (s *segment) headerAt(pos, end int64) (record.Header, error) {
	if end-pos < record.HeaderSize {
		return record.Header{}, fmt.Errorf("%w: segment %d: %d bytes at %d, need a header", ErrCorruptMessage, s.base, end-pos, pos)
	}
	var b [record.HeaderSize]byte
	if err := s.readAt(b[:], pos); err != nil {
		return record.Header{}, err
	}
	h, _ := record.ParseHeader(b[:])
	if h.BatchLength < record.HeaderSize-record.LogOverhead || int64(h.Size()) > end-pos {
		return h, fmt.Errorf("%w: segment %d: batch at %d claims %d bytes, %d available", ErrCorruptMessage, s.base, pos, h.Size(), end-pos)
	}
	return h, nil
}

// findPosition returns the position of the first batch whose last offset is
// >= offset, scanning forward from the sparse index entry at or below it.
// ok is false when every batch in the segment ends before offset.
func (s *segment) findPosition(offset int64, end int64) (pos int64, h record.Header, ok bool, err error) {
	if err := s.loadIndexes(DefaultIndexIntervalBytes); err != nil {
		return 0, h, false, err
	}
	rel := offset - s.base
	if e, found := s.index.search(func(e offsetEntry) bool { return int64(e.RelOffset) <= rel }); found && int64(e.Position) < end {
		// The entry's batch ends at base+RelOffset <= offset; a batch
		// starting there either contains offset or precedes it.
		pos = int64(e.Position)
	}
	for pos < end {
		h, err = s.headerAt(pos, end)
		if err != nil {
			return pos, h, false, err
		}
		if h.LastOffset() >= offset {
			return pos, h, true, nil
		}
		pos += int64(h.Size())
	}
	return pos, h, false, nil
}

// scan walks whole batches in [pos, end) in chunks, calling fn for each
// (batch aliases a reused buffer). With verify, each batch's CRC and
// structure are checked and offsets must increase. It stops at the first
// batch it cannot accept and returns the position where valid data ends and
// why it stopped (nil at a clean end or when fn returned false).
func (s *segment) scan(pos, end int64, verify bool, fn func(batch []byte, h *record.Header, pos int64) bool) (int64, error) {
	buf := make([]byte, 0, min(scanChunk, max(end-pos, 0)))
	nextOffset := s.base
	for pos < end {
		n := min(int64(cap(buf)), end-pos)
		buf = buf[:n]
		if err := s.readAt(buf, pos); err != nil {
			return pos, err
		}
		it := record.Iter{Buf: buf}
		for it.Next() {
			h := &it.Header
			if verify {
				if _, err := record.CheckIntegrity(it.Batch); err != nil {
					return pos + int64(it.Pos), err
				}
				if h.BaseOffset < nextOffset || h.LastOffsetDelta < 0 || h.LastOffset()-s.base > maxRelativeOffset {
					return pos + int64(it.Pos), fmt.Errorf("%w: batch offsets %d..%d after %d in segment %d",
						ErrCorruptMessage, h.BaseOffset, h.LastOffset(), nextOffset, s.base)
				}
				nextOffset = h.NextOffset()
			}
			if !fn(it.Batch, h, pos+int64(it.Pos)) {
				return pos + int64(it.Pos), nil
			}
		}
		pos += int64(n) - int64(len(it.Buf))
		if it.Err == nil {
			continue
		}
		// The rest of the chunk is not a whole batch. At the end of the
		// data that is a torn or corrupt tail; before it, the chunk edge
		// cut a batch, which the next read starts at.
		rest := it.Buf
		if pos+int64(len(rest)) >= end {
			return pos, it.Err
		}
		if len(rest) >= record.LogOverhead {
			size, err := record.BatchSize(rest)
			if err != nil {
				return pos, err
			}
			if int64(size) > end-pos {
				return pos, fmt.Errorf("%w: batch of %d bytes at %d, segment ends at %d", record.ErrTruncated, size, pos, end)
			}
			if size > cap(buf) {
				buf = make([]byte, 0, size)
			}
		}
	}
	return pos, nil
}

// maxRelativeOffset: index entries store offsets relative to the segment
// base in 4 bytes, so a segment may span at most this many offsets.
const maxRelativeOffset = 1<<31 - 1

// loadIndexes loads a trusted segment's indexes on first use and rebuilds
// them from the log when they are missing or implausible (Kafka's index
// sanity check), e.g. after a crash that left an index unsynced.
func (s *segment) loadIndexes(interval int64) error {
	if s.indexChecked.Load() {
		return nil
	}
	s.indexMu.Lock()
	defer s.indexMu.Unlock()
	if s.indexChecked.Load() {
		return nil
	}
	if err := s.index.ensureLoaded(); err != nil {
		return err
	}
	if err := s.timeIndex.ensureLoaded(); err != nil {
		return err
	}
	size := s.size.Load()
	s.index.mu.RLock()
	ok := offsetIndexSane(s.index.entries, size) && (len(s.index.entries) > 0 || size <= 2*interval)
	s.index.mu.RUnlock()
	s.timeIndex.mu.RLock()
	ok = ok && timeIndexSane(s.timeIndex.entries)
	s.timeIndex.mu.RUnlock()
	if !ok {
		if err := s.rebuildIndexes(interval); err != nil {
			return err
		}
	}
	s.indexChecked.Store(true)
	return nil
}

// rebuildIndexes regenerates both indexes by scanning the log (no CRC
// checks: the segment is trusted, only its index is not).
func (s *segment) rebuildIndexes(interval int64) error {
	s.index.reset()
	s.timeIndex.reset()
	var since int64
	maxTS, maxTSOff := int64(math.MinInt64), int64(-1)
	_, err := s.scan(0, s.size.Load(), false, func(b []byte, h *record.Header, pos int64) bool {
		if h.MaxTimestamp > maxTS {
			maxTS, maxTSOff = h.MaxTimestamp, h.LastOffset()
		}
		if since > interval {
			s.index.append(offsetEntry{int32(h.LastOffset() - s.base), int32(pos)})
			if last, ok := s.timeIndex.last(); !ok || maxTS > last.Timestamp {
				s.timeIndex.append(timeEntry{maxTS, int32(maxTSOff - s.base)})
			}
			since = 0
		}
		since += int64(h.Size())
		return true
	})
	if err != nil {
		return fmt.Errorf("%w: rebuilding indexes of segment %d: %v", ErrCorruptMessage, s.base, err)
	}
	s.dirty.Store(true)
	return nil
}
