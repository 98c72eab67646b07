package storage

import (
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// maybeRollLocked starts a new segment before an append of incoming bytes
// ending at lastOffset with largest timestamp maxTS, when Kafka's
// LogSegment.shouldRoll would. Like Kafka, segment.ms is measured in record
// time (incoming maxTimestamp − the segment's first batch timestamp), falling
// back to wall time since creation for a segment without timestamps.
func (l *Log) maybeRollLocked(incoming int, lastOffset, maxTS int64, cfg *LogConfig, now int64) error {
	seg := l.active()
	size := seg.size.Load()
	if size == 0 {
		return nil // an empty segment takes anything
	}
	waited := now - seg.created.UnixMilli()
	if seg.rollingTS >= 0 {
		waited = maxTS - seg.rollingTS
	}
	switch {
	case size > cfg.SegmentBytes-int64(incoming):
	case waited > cfg.SegmentMs:
	case seg.index.len() >= int(cfg.SegmentIndexBytes)/offsetEntrySize:
	case seg.timeIndex.len() >= int(cfg.SegmentIndexBytes)/timeEntrySize:
	case lastOffset-seg.base > maxRelativeOffset:
	default:
		return nil
	}
	return l.rollLocked(l.leo.Load(), cfg, now)
}

// rollLocked seals the active segment and starts one at newBase. Like Kafka
// it snapshots producer state at the new base and flushes the old segment in
// the background, so the recovery point trails by at most one segment and a
// crash recovers only the active segment.
func (l *Log) rollLocked(newBase int64, cfg *LogConfig, now int64) error {
	old := l.active()
	if err := old.seal(); err != nil {
		return err
	}
	var prealloc int64
	if cfg.Preallocate {
		prealloc = cfg.SegmentBytes
	}
	seg, err := l.newSegment(newBase, prealloc, now)
	if err != nil {
		return err
	}
	l.segMu.Lock()
	l.segments = append(l.segments, seg)
	l.segMu.Unlock()
	if err := l.writeSnapshotLocked(newBase); err != nil {
		l.logger.Warn("producer snapshot on roll failed", "offset", newBase, "err", err)
	}
	l.bg.Add(1)
	go func() {
		defer l.bg.Done()
		if err := l.syncTo(newBase); err != nil && !l.closed.Load() {
			l.logger.Error("flush after roll failed", "offset", newBase, "err", err)
		}
	}()
	l.logger.Debug("rolled segment", "base", newBase, "previous", old.base, "previous_bytes", old.size.Load())
	return nil
}

func (l *Log) newSegment(base, prealloc int64, now int64) (*segment, error) {
	seg, err := createSegment(l.fs, l.dir, base, prealloc, l.now())
	if err != nil {
		return nil, err
	}
	l.dirDirty.Store(true)
	return seg, nil
}

func snapshotName(dir string, offset int64) string { return segmentName(dir, offset, snapshotSuffix) }

// writeSnapshotLocked persists producer state covering offsets < offset.
func (l *Log) writeSnapshotLocked(offset int64) error {
	if err := writeFileAtomic(l.fs, l.dir, snapshotName(l.dir, offset), encodeSnapshot(l.producers)); err != nil {
		return fmt.Errorf("%w: producer snapshot: %v", ErrStorage, err)
	}
	return nil
}

// listSnapshots returns the offsets of <offset>.snapshot files, ascending.
func (l *Log) listSnapshots() ([]int64, error) {
	ents, err := l.fs.ReadDir(l.dir)
	if err != nil {
		return nil, fmt.Errorf("%w: list %s: %v", ErrStorage, l.dir, err)
	}
	var offs []int64
	for _, e := range ents {
		if off, ok := parseOffsetName(e.Name(), snapshotSuffix); ok {
			offs = append(offs, off)
		}
	}
	sort.Slice(offs, func(i, j int) bool { return offs[i] < offs[j] })
	return offs, nil
}

// deleteSnapshots removes snapshot files for which drop(offset) is true.
func (l *Log) deleteSnapshots(drop func(int64) bool) {
	offs, err := l.listSnapshots()
	if err != nil {
		return
	}
	for _, o := range offs {
		if drop(o) {
			l.fs.Remove(snapshotName(l.dir, o))
		}
	}
}

// parseOffsetName parses "<20 digits><suffix>".
func parseOffsetName(name, suffix string) (int64, bool) {
	base, ok := strings.CutSuffix(name, suffix)
	if !ok || len(base) != 20 {
		return 0, false
	}
	off, err := strconv.ParseInt(base, 10, 64)
	return off, err == nil && off >= 0 && off < math.MaxInt64
}

// parseTopicPartition splits "<topic>-<partition>" on the last '-'.
func parseTopicPartition(name string) (TopicPartition, bool) {
	i := strings.LastIndexByte(name, '-')
	if i <= 0 || i == len(name)-1 {
		return TopicPartition{}, false
	}
	p, err := strconv.ParseInt(name[i+1:], 10, 32)
	if err != nil || p < 0 || strings.HasPrefix(name[i+1:], "+") {
		return TopicPartition{}, false
	}
	return TopicPartition{Topic: name[:i], Partition: int32(p)}, true
}

func partitionDir(root string, tp TopicPartition) string {
	return filepath.Join(root, fmt.Sprintf("%s-%d", tp.Topic, tp.Partition))
}
