package storage

import (
	"fmt"
	"math"

	"github.com/strom-project/strom/internal/record"
)

// Read returns whole batches starting with the one containing offset, up to
// maxBytes (but at least one batch when minOneBatch, KIP-74), and only
// batches that end below upTo (exclusive: the HW for consumers, the LEO for
// followers). Like Kafka, a batch straddling upTo is not returned: its tail
// is not yet readable. Reads never take the append lock.
func (l *Log) Read(offset int64, maxBytes int32, minOneBatch bool, upTo int64) (ReadResult, error) {
	return l.ReadInto(nil, offset, maxBytes, minOneBatch, upTo)
}

// ReadInto is Read reading into buf's capacity when it is large enough
// (otherwise it allocates), so the fetch path can reuse pooled buffers:
// a fresh 1 MiB buffer per fetch costs more than the read itself. The caller
// must not reuse buf while ReadResult.Records is still being sent.
func (l *Log) ReadInto(buf []byte, offset int64, maxBytes int32, minOneBatch bool, upTo int64) (ReadResult, error) {
	if l.closed.Load() {
		return ReadResult{}, ErrLogClosed
	}
	// Load the LEO before touching segments: data below it is fully written.
	leo := l.leo.Load()
	res := ReadResult{HighWatermark: l.hw.Load(), LogStartOffset: l.lso.Load(), LogEndOffset: leo}
	if offset < res.LogStartOffset || offset > leo {
		return res, fmt.Errorf("%w: offset %d not in [%d, %d]", ErrOffsetOutOfRange, offset, res.LogStartOffset, leo)
	}
	upTo = min(upTo, leo)
	if offset >= upTo {
		return res, nil
	}
	// Held for the whole read so no segment file is closed under it.
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	if l.closed.Load() || len(l.segments) == 0 {
		return res, ErrLogClosed
	}
	for i := max(segmentFor(l.segments, offset), 0); i < len(l.segments); i++ {
		s := l.segments[i]
		end := s.size.Load()
		pos, h, ok, err := s.findPosition(offset, end)
		if err != nil {
			return res, err
		}
		if !ok {
			continue // offset falls after this segment's last batch (a gap)
		}
		res.Records, err = s.readBatches(buf, pos, end, h, maxBytes, minOneBatch, upTo)
		return res, err
	}
	return res, nil
}

// readBatches reads the batches from pos (whose header is first) that fit
// maxBytes and end below upTo.
func (s *segment) readBatches(buf []byte, pos, end int64, first record.Header, maxBytes int32, minOneBatch bool, upTo int64) ([]byte, error) {
	if first.LastOffset() >= upTo {
		return nil, nil
	}
	n := min(int64(max(maxBytes, 0)), end-pos)
	if int64(first.Size()) > n {
		if !minOneBatch {
			return nil, nil
		}
		n = int64(first.Size())
	}
	if int64(cap(buf)) >= n {
		buf = buf[:n]
	} else {
		buf = make([]byte, n)
	}
	if err := s.readAt(buf, pos); err != nil {
		return nil, err
	}
	// Cut at the last whole batch ending below upTo.
	keep := 0
	it := record.Iter{Buf: buf}
	for it.Next() {
		if it.Header.LastOffset() >= upTo {
			break
		}
		keep = it.Pos + len(it.Batch)
	}
	return buf[:keep:keep], nil
}

// OffsetForTimestamp finds the first offset whose timestamp >= ts (ListOffsets
// with a timestamp): the first segment whose largest timestamp reaches ts,
// the time index to the nearest batch, then a scan and, for the matching
// batch, its records. ok is false when no record is that late.
func (l *Log) OffsetForTimestamp(ts int64) (offset int64, timestamp int64, leaderEpoch int32, ok bool) {
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	lso := l.lso.Load()
	for _, s := range l.segments {
		if s.largestTimestamp() < ts || s.size.Load() == 0 {
			continue
		}
		if err := s.loadIndexes(DefaultIndexIntervalBytes); err != nil {
			return -1, -1, -1, false
		}
		from := max(lso, s.base)
		if e, found := s.timeIndex.search(func(e timeEntry) bool { return e.Timestamp < ts }); found {
			from = max(from, s.base+int64(e.RelOffset))
		}
		end := s.size.Load()
		pos, _, found, err := s.findPosition(from, end)
		if err != nil || !found {
			continue
		}
		offset, timestamp, ok = -1, -1, false
		var lim record.Limits
		s.scan(pos, end, false, func(b []byte, h *record.Header, p int64) bool {
			if h.MaxTimestamp < ts || h.LastOffset() < lso {
				return true
			}
			if h.IsLogAppendTime() {
				offset, timestamp, ok = max(h.BaseOffset, lso), h.MaxTimestamp, true
				return false
			}
			record.ForEachRecord(b, lim, func(h *record.Header, r *record.Record) bool {
				o, t := h.BaseOffset+int64(r.OffsetDelta), h.BaseTimestamp+r.TimestampDelta
				if t >= ts && o >= lso {
					offset, timestamp, ok = o, t, true
					return false
				}
				return true
			})
			return !ok
		})
		if ok {
			return offset, timestamp, l.epochs.epochFor(offset), true
		}
	}
	return -1, -1, -1, false
}

// MaxTimestamp is ListOffsets' MAX_TIMESTAMP (KIP-734): the offset and
// timestamp of the batch carrying the largest timestamp. It answers at batch
// granularity (the batch's last offset), as Kafka's segment bookkeeping does.
func (l *Log) MaxTimestamp() (offset int64, timestamp int64, leaderEpoch int32) {
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	offset, timestamp = -1, -1
	best := int64(math.MinInt64)
	for _, s := range l.segments {
		if s.size.Load() == 0 {
			continue
		}
		if t := s.largestTimestamp(); t > best {
			best, timestamp, offset = t, t, s.maxTSOffset.Load()
		}
	}
	if offset < 0 {
		return -1, -1, -1
	}
	return offset, timestamp, l.epochs.epochFor(offset)
}
