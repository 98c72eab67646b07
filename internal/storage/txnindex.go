package storage

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Transaction index file <base>.txnindex (Kafka's TransactionIndex): one
// entry per transaction aborted by a marker in the segment, in marker order.
//
//	version          int16  0
//	producerId       int64
//	firstOffset      int64  first offset of the aborted transaction
//	lastOffset       int64  offset of the ABORT marker
//	lastStableOffset int64  LSO just after the marker (ends the search)
//
// 34 bytes each, no header: the file is append-only and cut on truncation.
const (
	txnIndexSuffix  = ".txnindex"
	txnEntrySize    = 2 + 8 + 8 + 8 + 8
	txnEntryVersion = 0
)

// AbortedTxn is one aborted transaction, as a fetch response lists it.
type AbortedTxn struct {
	ProducerID  int64
	FirstOffset int64
}

// abortedTxn is one .txnindex entry.
type abortedTxn struct {
	ProducerID, FirstOffset, LastOffset, LastStableOffset int64
}

func (e abortedTxn) append(b []byte) []byte {
	be := binary.BigEndian
	b = be.AppendUint16(b, txnEntryVersion)
	b = be.AppendUint64(b, uint64(e.ProducerID))
	b = be.AppendUint64(b, uint64(e.FirstOffset))
	b = be.AppendUint64(b, uint64(e.LastOffset))
	return be.AppendUint64(b, uint64(e.LastStableOffset))
}

// decodeTxnIndex parses a .txnindex file. A torn trailing entry (a crash
// mid-write) is dropped; recovery re-derives it from the log. An unknown
// version is corruption.
func decodeTxnIndex(b []byte) ([]abortedTxn, error) {
	be := binary.BigEndian
	n := len(b) / txnEntrySize
	out := make([]abortedTxn, 0, n)
	for i := 0; i < n; i++ {
		e := b[i*txnEntrySize:]
		if v := int16(be.Uint16(e)); v != txnEntryVersion {
			return nil, fmt.Errorf("%w: txnindex entry %d has version %d", ErrCorruptMessage, i, v)
		}
		t := abortedTxn{int64(be.Uint64(e[2:])), int64(be.Uint64(e[10:])), int64(be.Uint64(e[18:])), int64(be.Uint64(e[26:]))}
		if t.FirstOffset > t.LastOffset || (i > 0 && t.LastOffset < out[i-1].LastOffset) {
			return nil, fmt.Errorf("%w: txnindex entry %d out of order", ErrCorruptMessage, i)
		}
		out = append(out, t)
	}
	return out, nil
}

// txnIndex is a segment's aborted transactions, held in memory and mirrored
// to its file. Writers hold Log.mu; mu lets fetches read concurrently. The
// file is created on the first abort, so most segments never have one.
type txnIndex struct {
	fs     FS
	mu     sync.RWMutex
	path   string
	loaded bool
	ents   []abortedTxn
	f      File // open for appends once written to
	dirty  bool
}

func newTxnIndex(fsys FS, path string) *txnIndex { return &txnIndex{fs: fsys, path: path} }

// loadLocked reads the file on first use. A missing file is an empty index.
func (t *txnIndex) loadLocked() error {
	if t.loaded {
		return nil
	}
	b, err := readFile(t.fs, t.path)
	if err != nil && !isNotExist(err) {
		return fmt.Errorf("%w: read %s: %v", ErrStorage, t.path, err)
	}
	ents, err := decodeTxnIndex(b)
	if err != nil {
		return err
	}
	t.ents, t.loaded = ents, true
	if len(b)%txnEntrySize != 0 {
		return t.rewriteLocked() // drop the torn tail on disk too
	}
	return nil
}

func (t *txnIndex) openLocked() error {
	if t.f != nil {
		return nil
	}
	f, err := t.fs.OpenFile(t.path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("%w: open %s: %v", ErrStorage, t.path, err)
	}
	t.f = f
	return nil
}

// add appends e unless an entry at or after its marker is already there:
// recovery replays markers the index may already hold.
func (t *txnIndex) add(e abortedTxn) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.loadLocked(); err != nil {
		return err
	}
	if n := len(t.ents); n > 0 && t.ents[n-1].LastOffset >= e.LastOffset {
		return nil
	}
	if err := t.openLocked(); err != nil {
		return err
	}
	if _, err := t.f.WriteAt(e.append(nil), int64(len(t.ents))*txnEntrySize); err != nil {
		return fmt.Errorf("%w: write %s: %v", ErrStorage, t.path, err)
	}
	t.ents = append(t.ents, e)
	t.dirty = true
	return nil
}

// truncateTo drops entries whose marker is at or after offset (Kafka's
// TransactionIndex.truncateTo).
func (t *txnIndex) truncateTo(offset int64) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.loadLocked(); err != nil {
		return err
	}
	n := len(t.ents)
	for n > 0 && t.ents[n-1].LastOffset >= offset {
		n--
	}
	if n == len(t.ents) {
		return nil
	}
	t.ents = t.ents[:n]
	return t.rewriteLocked()
}

func (t *txnIndex) rewriteLocked() error {
	if err := t.openLocked(); err != nil {
		return err
	}
	if err := t.f.Truncate(int64(len(t.ents)) * txnEntrySize); err != nil {
		return fmt.Errorf("%w: truncate %s: %v", ErrStorage, t.path, err)
	}
	t.dirty = true
	return nil
}

// collect appends the entries overlapping [from, upTo) to out and reports
// whether the search is complete: an entry whose LSO reaches upTo proves
// no later segment holds an abort of a transaction starting below upTo.
func (t *txnIndex) collect(from, upTo int64, out []AbortedTxn) ([]AbortedTxn, bool, error) {
	t.mu.Lock() // loading may write
	defer t.mu.Unlock()
	if err := t.loadLocked(); err != nil {
		return out, false, err
	}
	for _, e := range t.ents {
		if e.LastOffset >= from && e.FirstOffset < upTo {
			out = append(out, AbortedTxn{e.ProducerID, e.FirstOffset})
		}
		if e.LastStableOffset >= upTo {
			return out, true, nil
		}
	}
	return out, false, nil
}

func (t *txnIndex) entries() []abortedTxn {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.loadLocked() != nil {
		return nil
	}
	return append([]abortedTxn(nil), t.ents...)
}

func (t *txnIndex) sync() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.f == nil || !t.dirty {
		return nil
	}
	if err := t.f.Sync(); err != nil {
		return fmt.Errorf("%w: sync %s: %v", ErrStorage, t.path, err)
	}
	t.dirty = false
	return nil
}

func (t *txnIndex) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.f != nil {
		t.f.Close()
		t.f = nil
	}
}

// replace installs ents as the whole index at path (the cleaner's swapped
// segment inherits the aborts of the segments it replaced).
func (t *txnIndex) replace(path string, ents []abortedTxn) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.f != nil {
		t.f.Close()
		t.f = nil
	}
	t.path, t.ents, t.loaded = path, ents, true
	if len(ents) == 0 {
		return nil
	}
	var b []byte
	for _, e := range ents {
		b = e.append(b)
	}
	if err := writeFileAtomic(t.fs, filepath.Dir(path), path, b); err != nil {
		return fmt.Errorf("%w: write %s: %v", ErrStorage, path, err)
	}
	return nil
}
