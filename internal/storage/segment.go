package storage

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/strom-project/strom/internal/record"
)

// File name suffixes, as Kafka names them.
const (
	logSuffix       = ".log"
	indexSuffix     = ".index"
	timeIndexSuffix = ".timeindex"
	snapshotSuffix  = ".snapshot"
	deletedSuffix   = ".deleted"
	cleanedSuffix   = ".cleaned"
	swapSuffix      = ".swap"
)

// segmentName is the 20-digit zero-padded base offset Kafka uses.
func segmentName(dir string, base int64, suffix string) string {
	return filepath.Join(dir, fmt.Sprintf("%020d%s", base, suffix))
}

// segment is one .log file with its indexes.
//
// Concurrency: all mutation happens under the owning Log's mu. Readers use
// only size (atomic) and ReadAt, so they never see bytes past what an append
// has finished writing, even though a preallocated file is longer.
type segment struct {
	fs   FS
	dir  string
	base int64
	log  File

	size     atomic.Int64 // logical bytes: everything below is whole batches
	fileSize int64        // physical size (> size when preallocated); Log.mu
	// preallocLimit is segment.bytes when preallocating, else 0: the file is
	// grown in preallocChunk steps ahead of the writes, never past it.
	preallocLimit int64

	index     *indexFile[offsetEntry]
	timeIndex *indexFile[timeEntry]
	txn       *txnIndex // aborted transactions whose marker is here

	// Log.mu guards the rest.
	created         time.Time
	rollingTS       int64 // maxTimestamp of the first batch, -1 = none yet
	bytesSinceIndex int64
	maxTS           atomic.Int64 // largest batch maxTimestamp, math.MinInt64 = unknown (lazy)
	maxTSOffset     atomic.Int64 // offset of the batch carrying maxTS
	nextOffset      int64        // offset after the last batch; -1 = unknown (lazy)
	dirty           atomic.Bool  // written (or sealed) since the last sync
	closed          atomic.Bool
	indexChecked    atomic.Bool // indexes loaded and sanity-checked
	indexMu         sync.Mutex  // serialises the lazy check/rebuild
}

func openSegmentFiles(fsys FS, dir string, base int64, create bool) (*segment, error) {
	flag := os.O_RDWR
	if create {
		flag |= os.O_CREATE
	}
	f, err := fsys.OpenFile(segmentName(dir, base, logSuffix), flag, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%w: open segment %d: %v", ErrStorage, base, err)
	}
	s := &segment{fs: fsys, dir: dir, base: base, log: f, rollingTS: -1, nextOffset: -1}
	s.maxTS.Store(math.MinInt64)
	s.maxTSOffset.Store(-1)
	s.index = newOffsetIndex(fsys, segmentName(dir, base, indexSuffix), create)
	s.timeIndex = newTimeIndex(fsys, segmentName(dir, base, timeIndexSuffix), create)
	s.txn = newTxnIndex(fsys, segmentName(dir, base, txnIndexSuffix))
	return s, nil
}

// createSegment makes a fresh, empty segment (removing stale files of the
// same name, which can only be leftovers of a truncated tail).
func createSegment(fsys FS, dir string, base int64, prealloc int64, now time.Time) (*segment, error) {
	for _, suf := range []string{indexSuffix, timeIndexSuffix, txnIndexSuffix} {
		if err := fsys.Remove(segmentName(dir, base, suf)); err != nil && !isNotExist(err) {
			return nil, fmt.Errorf("%w: %v", ErrStorage, err)
		}
	}
	s, err := openSegmentFiles(fsys, dir, base, true)
	if err != nil {
		return nil, err
	}
	if err := s.log.Truncate(0); err != nil {
		s.log.Close()
		return nil, fmt.Errorf("%w: truncate new segment: %v", ErrStorage, err)
	}
	if prealloc > 0 {
		first := min(prealloc, preallocChunk)
		if err := s.log.Preallocate(first); err != nil {
			s.log.Close()
			return nil, fmt.Errorf("%w: preallocate %d bytes: %v", ErrStorage, first, err)
		}
		s.fileSize, s.preallocLimit = first, prealloc
	}
	s.created, s.nextOffset = now, base
	s.indexChecked.Store(true)
	s.dirty.Store(true)
	return s, nil
}

// openSegment opens an existing segment whose content is trusted up to the
// file size (recovery narrows size afterwards when it does not trust it).
func openSegment(fsys FS, dir string, base int64) (*segment, error) {
	s, err := openSegmentFiles(fsys, dir, base, false)
	if err != nil {
		return nil, err
	}
	st, err := s.log.Stat()
	if err != nil {
		s.log.Close()
		return nil, fmt.Errorf("%w: stat segment %d: %v", ErrStorage, base, err)
	}
	s.size.Store(st.Size())
	s.fileSize = st.Size()
	s.created = st.ModTime()
	return s, nil
}

// preallocChunk is how far ahead of the writes a preallocated segment is
// reserved. Reserving whole segments (1 GiB by default) would take a GiB of
// disk per partition up front; a chunk keeps the benefit (fdatasync on a
// write that does not change the file size skips the metadata update) at a
// bounded cost.
const preallocChunk = 16 << 20

// growPreallocation reserves the next chunk when a write of n bytes at pos
// would pass the reserved end. Failure is not fatal: the write extends the
// file the ordinary way.
func (s *segment) growPreallocation(pos, n int64) {
	if s.preallocLimit == 0 || pos+n <= s.fileSize || s.fileSize >= s.preallocLimit {
		return
	}
	target := min(max(pos+n, s.fileSize)+preallocChunk, s.preallocLimit)
	if err := s.log.Preallocate(target); err == nil {
		s.fileSize = target
	}
}

// write appends whole batches at the logical end; infos describe them.
func (s *segment) write(data []byte, infos []batchInfo, indexInterval int64) error {
	pos := s.size.Load()
	s.growPreallocation(pos, int64(len(data)))
	if _, err := s.log.WriteAt(data, pos); err != nil {
		return fmt.Errorf("%w: write segment %d at %d: %v", ErrStorage, s.base, pos, err)
	}
	for i := range infos {
		s.indexBatch(&infos[i], pos, indexInterval)
		pos += int64(infos[i].size)
	}
	s.fileSize = max(s.fileSize, pos)
	s.dirty.Store(true)
	s.size.Store(pos) // publish to readers last
	return nil
}

// indexBatch updates timestamps and the sparse indexes for one batch at pos
// (Kafka's LogSegment.append).
func (s *segment) indexBatch(b *batchInfo, pos, interval int64) {
	if s.rollingTS < 0 {
		s.rollingTS = b.maxTimestamp
	}
	if b.maxTimestamp > s.maxTS.Load() {
		s.maxTS.Store(b.maxTimestamp)
		s.maxTSOffset.Store(b.lastOffset)
	}
	if s.bytesSinceIndex > interval {
		s.index.append(offsetEntry{int32(b.lastOffset - s.base), int32(pos)})
		if last, ok := s.timeIndex.last(); !ok || s.maxTS.Load() > last.Timestamp {
			s.timeIndex.append(timeEntry{s.maxTS.Load(), int32(s.maxTSOffset.Load() - s.base)})
		}
		s.bytesSinceIndex = 0
	}
	s.bytesSinceIndex += int64(b.size)
	s.nextOffset = b.lastOffset + 1
}

// batchInfo is what the segment needs to know about a batch being written.
type batchInfo struct {
	size         int
	lastOffset   int64
	maxTimestamp int64
}

func infoOf(h *record.Header) batchInfo {
	return batchInfo{size: h.Size(), lastOffset: h.LastOffset(), maxTimestamp: h.MaxTimestamp}
}

// readAt reads exactly len(p) bytes at pos; the caller bounds pos+len(p) by size.
func (s *segment) readAt(p []byte, pos int64) error {
	n, err := s.log.ReadAt(p, pos)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("%w: read segment %d at %d: %v", ErrStorage, s.base, pos, err)
}

// sync makes the log and, unless activeOnly, the indexes durable.
func (s *segment) sync(withIndexes bool) error {
	if err := s.log.Sync(); err != nil {
		return fmt.Errorf("%w: sync segment %d: %v", ErrStorage, s.base, err)
	}
	// Aborts are rare and read_committed depends on them: always synced.
	if err := s.txn.sync(); err != nil {
		return err
	}
	if withIndexes {
		if err := s.index.persist(true); err != nil {
			return err
		}
		if err := s.timeIndex.persist(true); err != nil {
			return err
		}
	}
	return nil
}

// seal prepares a segment that stops being active: indexes written and the
// preallocated tail trimmed, so the files on disk are exact.
func (s *segment) seal() error {
	if sz := s.size.Load(); s.fileSize != sz {
		if err := s.log.Truncate(sz); err != nil {
			return fmt.Errorf("%w: trim segment %d: %v", ErrStorage, s.base, err)
		}
		s.fileSize = sz
	}
	s.preallocLimit = 0
	if err := s.index.persist(false); err != nil {
		return err
	}
	s.dirty.Store(true) // the trim and the indexes need the next sync
	return s.timeIndex.persist(false)
}

// largestTimestamp is the retention clock of a segment: its largest batch
// timestamp, or the file's mtime when it has none (Kafka does the same).
func (s *segment) largestTimestamp() int64 {
	if ts := s.maxTS.Load(); ts != math.MinInt64 {
		return ts
	}
	if err := s.timeIndex.ensureLoaded(); err == nil {
		if e, ok := s.timeIndex.last(); ok {
			s.maxTS.CompareAndSwap(math.MinInt64, e.Timestamp)
			s.maxTSOffset.CompareAndSwap(-1, s.base+int64(e.RelOffset))
			return e.Timestamp
		}
	}
	if st, err := s.log.Stat(); err == nil {
		return st.ModTime().UnixMilli()
	}
	return math.MinInt64
}

func (s *segment) close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.txn.close()
	return s.log.Close()
}

func (s *segment) isClosed() bool { return s.closed.Load() }

// renameDeleted renames the segment's files to *.deleted (Kafka's async
// delete); the files stay open until remove.
func (s *segment) renameDeleted() {
	for _, suf := range []string{logSuffix, indexSuffix, timeIndexSuffix, txnIndexSuffix} {
		name := segmentName(s.dir, s.base, suf)
		if err := s.fs.Rename(name, name+deletedSuffix); err != nil && !isNotExist(err) {
			_ = err // removal below still tries the original names
		}
	}
}

func (s *segment) remove() {
	s.close()
	for _, suf := range []string{logSuffix, indexSuffix, timeIndexSuffix, txnIndexSuffix} {
		name := segmentName(s.dir, s.base, suf)
		// Only the .deleted names: a new segment may have reused the base
		// offset (truncation then re-append) in the meantime.
		s.fs.Remove(name + deletedSuffix)
	}
}
