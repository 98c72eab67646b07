package storage

import "math"

// logToClean is Kafka's LogToClean: the cleanable range of one log and how
// dirty it is.
type logToClean struct {
	log *Log
	tp  TopicPartition
	// firstDirty is where the last round stopped (the cleaner checkpoint,
	// clamped into the log); firstUncleanable is the exclusive end of what
	// this round may look at.
	firstDirty, firstUncleanable int64
	cleanBytes, cleanableBytes   int64
	// needNow: max.compaction.lag.ms has passed for some dirty segment.
	needNow bool
	// resetCheckpoint: the checkpoint was outside the log, or past a
	// truncation, and must be rewritten as firstDirty.
	resetCheckpoint bool
	truncatedTo     int64 // the log's truncation note this was computed with
}

func (c *logToClean) totalBytes() int64 { return c.cleanBytes + c.cleanableBytes }

// ratio is the dirty ratio: cleanable bytes over all bytes.
func (c *logToClean) ratio() float64 {
	if c.totalBytes() == 0 {
		return 0
	}
	return float64(c.cleanableBytes) / float64(c.totalBytes())
}

// shouldClean is Kafka's filter in grabFilthiestCompactedLog.
func (c *logToClean) shouldClean() bool {
	cfg := c.log.config()
	if c.totalBytes() == 0 {
		return false
	}
	return (c.needNow && c.cleanableBytes > 0) || c.ratio() > cfg.MinCleanableDirtyRatio
}

// cleanable computes the cleanable range given the checkpointed first dirty
// offset (-1 when there is none), as Kafka's cleanableOffsets and
// calculateCleanableBytes do. The upper bound is the smallest of: the last
// stable offset (no open transaction is cleaned), the active segment's
// base, and the first segment still within min.compaction.lag.ms.
func (l *Log) cleanable(checkpoint int64, now int64) logToClean {
	cfg := l.config()
	c := logToClean{log: l, tp: l.tp}
	lso, leo := l.lso.Load(), l.leo.Load()
	c.truncatedTo = l.truncatedTo.Load()
	if t := c.truncatedTo; t >= 0 && checkpoint > t {
		// Truncation since the checkpoint: what follows t is new data.
		checkpoint, c.resetCheckpoint = t, true
	}
	switch {
	case checkpoint < lso, checkpoint > leo:
		c.firstDirty, c.resetCheckpoint = lso, checkpoint >= 0
	default:
		c.firstDirty = checkpoint
	}
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	if len(l.segments) == 0 {
		return c
	}
	segs := l.segments
	upper := min(l.LastStableOffset(), segs[len(segs)-1].base)
	first := max(segmentFor(segs, c.firstDirty), 0)
	if cfg.MinCompactionLagMs > 0 {
		for _, s := range segs[first : len(segs)-1] {
			if s.largestTimestamp() > now-cfg.MinCompactionLagMs {
				upper = min(upper, s.base)
				break
			}
		}
	}
	c.firstUncleanable = max(c.firstDirty, upper)
	// Bytes are counted by whole segments (Kafka does the same): the
	// segment holding the uncleanable offset is not cleanable.
	fu := len(segs) - 1
	if k := segmentFor(segs, c.firstUncleanable); k >= 0 && k < fu {
		fu = k
	}
	for i, s := range segs {
		if s.base < c.firstDirty {
			c.cleanBytes += s.size.Load()
		}
		if i >= first && i < fu {
			c.cleanableBytes += s.size.Load()
		}
	}
	c.needNow = l.maxCompactionDelayLocked(segs[first:len(segs)-1], cfg, now) > 0
	return c
}

// maxCompactionDelayLocked is how far past max.compaction.lag.ms the oldest
// dirty segment is, by its first batch's timestamp (0 if none is).
// segMu must be held.
func (l *Log) maxCompactionDelayLocked(dirty []*segment, cfg *LogConfig, now int64) int64 {
	if cfg.MaxCompactionLagMs == math.MaxInt64 {
		return 0
	}
	earliest := int64(math.MaxInt64)
	for _, s := range dirty {
		if size := s.size.Load(); size > 0 {
			if h, err := s.headerAt(0, size); err == nil && h.MaxTimestamp > 0 {
				earliest = min(earliest, h.MaxTimestamp)
			}
		}
	}
	until := now - max(cfg.MaxCompactionLagMs, 0)
	if earliest < until {
		return until - earliest
	}
	return 0
}

// groupSegments splits the segments to clean into runs that each fit one
// new segment: at most segment.bytes of input, an offset span that relative
// offsets can express, and index entries within segment.index.bytes
// (Kafka's groupSegmentsBySize). next is the base of the segment after the
// last one (the round's end when there is none).
func groupSegments(segs []*segment, next int64, cfg *LogConfig) [][]*segment {
	var groups [][]*segment
	maxIndexEntries := int64(cfg.SegmentIndexBytes) / offsetEntrySize
	for len(segs) > 0 {
		n, size, entries := 1, segs[0].size.Load(), int64(segs[0].index.len())
		for n < len(segs) {
			s := segs[n]
			end := next
			if n+1 < len(segs) {
				end = segs[n+1].base
			}
			if size+s.size.Load() > cfg.SegmentBytes || end-1-segs[0].base > maxRelativeOffset ||
				entries+int64(s.index.len()) > maxIndexEntries {
				break
			}
			size += s.size.Load()
			entries += int64(s.index.len())
			n++
		}
		groups = append(groups, segs[:n])
		segs = segs[n:]
	}
	return groups
}
