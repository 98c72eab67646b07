package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"sync"
)

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// indexFile holds the entries of a .index or .timeindex file in memory and
// mirrors them to disk lazily: appends touch only memory (no syscall on the
// produce path), and persist writes the unwritten tail. A crash can lose
// that tail only for segments at or after the recovery point, and recovery
// rebuilds exactly those indexes, so nothing relies on it being on disk early.
//
// Entries of inactive segments are loaded on first use, so opening a log with
// many segments reads no index files. Safe for concurrent use.
type indexFile[E any] struct {
	mu        sync.RWMutex
	fs        FS
	path      string
	entrySize int
	encode    func([]byte, E)
	decode    func([]byte) E
	entries   []E
	loaded    bool
	written   int // entries already on disk
	synced    bool
}

func (ix *indexFile[E]) ensureLoaded() error {
	ix.mu.RLock()
	loaded := ix.loaded
	ix.mu.RUnlock()
	if loaded {
		return nil
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.loadLocked()
}

func (ix *indexFile[E]) loadLocked() error {
	if ix.loaded {
		return nil
	}
	b, err := readFile(ix.fs, ix.path)
	if err != nil && !isNotExist(err) {
		return fmt.Errorf("%w: read %s: %v", ErrStorage, ix.path, err)
	}
	// A preallocated or torn file may end in a partial or zero entry; the
	// caller's sanity check rejects what does not make sense.
	n := len(b) / ix.entrySize
	ix.entries = make([]E, 0, n)
	for i := 0; i < n; i++ {
		ix.entries = append(ix.entries, ix.decode(b[i*ix.entrySize:]))
	}
	ix.loaded, ix.written, ix.synced = true, n, true
	return nil
}

// reset drops every entry (used before a rebuild).
func (ix *indexFile[E]) reset() {
	ix.mu.Lock()
	ix.entries, ix.loaded, ix.written, ix.synced = ix.entries[:0], true, 0, false
	ix.mu.Unlock()
}

func (ix *indexFile[E]) append(e E) {
	ix.mu.Lock()
	ix.entries = append(ix.entries, e)
	ix.synced = false
	ix.mu.Unlock()
}

func (ix *indexFile[E]) len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return len(ix.entries)
}

func (ix *indexFile[E]) last() (E, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	var zero E
	if len(ix.entries) == 0 {
		return zero, false
	}
	return ix.entries[len(ix.entries)-1], true
}

// search returns the last entry for which le(entry) holds (entries are
// sorted so le is true on a prefix), ok=false if none.
func (ix *indexFile[E]) search(le func(E) bool) (E, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	i := sort.Search(len(ix.entries), func(i int) bool { return !le(ix.entries[i]) })
	var zero E
	if i == 0 {
		return zero, false
	}
	return ix.entries[i-1], true
}

// persist writes the file to match memory, fsyncing when sync is set. The
// file is rewritten from the first unwritten entry and trimmed, so stale
// entries after a truncation disappear too.
func (ix *indexFile[E]) persist(sync bool) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if !ix.loaded || (ix.synced && ix.written == len(ix.entries)) {
		return nil
	}
	f, err := ix.fs.OpenFile(ix.path, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("%w: open %s: %v", ErrStorage, ix.path, err)
	}
	defer f.Close()
	buf := make([]byte, (len(ix.entries)-ix.written)*ix.entrySize)
	for i, e := range ix.entries[ix.written:] {
		ix.encode(buf[i*ix.entrySize:], e)
	}
	if _, err := f.WriteAt(buf, int64(ix.written*ix.entrySize)); err != nil {
		return fmt.Errorf("%w: write %s: %v", ErrStorage, ix.path, err)
	}
	if err := f.Truncate(int64(len(ix.entries) * ix.entrySize)); err != nil {
		return fmt.Errorf("%w: trim %s: %v", ErrStorage, ix.path, err)
	}
	ix.written = len(ix.entries)
	if sync {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("%w: sync %s: %v", ErrStorage, ix.path, err)
		}
		ix.synced = true
	}
	return nil
}

// offsetEntry is one .index entry: 4-byte offset relative to the segment base
// and 4-byte byte position in the .log file.
type offsetEntry struct {
	RelOffset int32
	Position  int32
}

const offsetEntrySize = 8

func newOffsetIndex(fsys FS, path string, loaded bool) *indexFile[offsetEntry] {
	return &indexFile[offsetEntry]{fs: fsys, path: path, entrySize: offsetEntrySize, loaded: loaded, synced: loaded,
		encode: func(b []byte, e offsetEntry) {
			binary.BigEndian.PutUint32(b, uint32(e.RelOffset))
			binary.BigEndian.PutUint32(b[4:], uint32(e.Position))
		},
		decode: func(b []byte) offsetEntry {
			return offsetEntry{int32(binary.BigEndian.Uint32(b)), int32(binary.BigEndian.Uint32(b[4:]))}
		},
	}
}

// timeEntry is one .timeindex entry: the largest timestamp so far and the
// relative offset of the batch that carries it.
type timeEntry struct {
	Timestamp int64
	RelOffset int32
}

const timeEntrySize = 12

func newTimeIndex(fsys FS, path string, loaded bool) *indexFile[timeEntry] {
	return &indexFile[timeEntry]{fs: fsys, path: path, entrySize: timeEntrySize, loaded: loaded, synced: loaded,
		encode: func(b []byte, e timeEntry) {
			binary.BigEndian.PutUint64(b, uint64(e.Timestamp))
			binary.BigEndian.PutUint32(b[8:], uint32(e.RelOffset))
		},
		decode: func(b []byte) timeEntry {
			return timeEntry{int64(binary.BigEndian.Uint64(b)), int32(binary.BigEndian.Uint32(b[8:]))}
		},
	}
}

// sane reports whether an offset index is plausible for a segment of size
// bytes (Kafka's OffsetIndex.sanityCheck plus monotonicity).
func offsetIndexSane(es []offsetEntry, size int64) bool {
	for i, e := range es {
		if e.RelOffset < 0 || e.Position < 0 || int64(e.Position) >= size {
			return false
		}
		if i > 0 && (e.RelOffset <= es[i-1].RelOffset || e.Position <= es[i-1].Position) {
			return false
		}
	}
	return true
}

func timeIndexSane(es []timeEntry) bool {
	for i, e := range es {
		if e.RelOffset < 0 || (i > 0 && (e.Timestamp <= es[i-1].Timestamp || e.RelOffset < es[i-1].RelOffset)) {
			return false
		}
	}
	return true
}
