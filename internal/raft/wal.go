package raft

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	pb "go.etcd.io/raft/v3/raftpb"
)

const walName = "wal"

// wal is the append-only file of raft entries and HardStates. Entries that a
// new leader overwrites are simply appended again: replay keeps the last
// write of every index (and drops everything after it). The file is
// rewritten whole after every snapshot, so it only holds the entries since.
//
// wal is owned by the raft loop goroutine; it is not safe for concurrent use.
type wal struct {
	dir  string
	f    *os.File
	buf  []byte
	size int64
}

// walContents is what openWAL read back.
type walContents struct {
	entries   []*pb.Entry // in write order; later writes override earlier indexes
	hardState *pb.HardState
	truncated int64 // bytes of torn tail cut off
}

// openWAL reads the WAL in dir (creating it if missing), truncates a torn
// tail, and returns the file opened for appending.
func openWAL(dir string) (*wal, walContents, error) {
	var c walContents
	path := filepath.Join(dir, walName)
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, c, fmt.Errorf("raft: read wal: %w", err)
	}
	good := 0
	for good < len(data) {
		payload, size, err := nextFrame(data[good:])
		if err != nil {
			break
		}
		if err := c.add(payload); err != nil {
			break
		}
		good += size
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, c, fmt.Errorf("raft: open wal: %w", err)
	}
	if good < len(data) {
		c.truncated = int64(len(data) - good)
		if err := f.Truncate(int64(good)); err != nil {
			f.Close()
			return nil, c, fmt.Errorf("raft: truncate torn wal tail: %w", err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, c, fmt.Errorf("raft: sync wal: %w", err)
		}
	}
	if _, err := f.Seek(int64(good), 0); err != nil {
		f.Close()
		return nil, c, fmt.Errorf("raft: seek wal: %w", err)
	}
	return &wal{dir: dir, f: f, size: int64(good)}, c, nil
}

func (c *walContents) add(payload []byte) error {
	body := payload[1:]
	switch frameKind(payload[0]) {
	case kindEntry:
		if len(body) < 17 {
			return errTorn
		}
		c.entries = append(c.entries, &pb.Entry{
			Index: new(binary.BigEndian.Uint64(body)),
			Term:  new(binary.BigEndian.Uint64(body[8:])),
			Type:  pb.EntryType(body[16]).Enum(),
			Data:  body[17:len(body):len(body)],
		})
	case kindHardState:
		if len(body) != 24 {
			return errTorn
		}
		c.hardState = &pb.HardState{
			Term:   new(binary.BigEndian.Uint64(body)),
			Vote:   new(binary.BigEndian.Uint64(body[8:])),
			Commit: new(binary.BigEndian.Uint64(body[16:])),
		}
	default:
		return errTorn
	}
	return nil
}

func appendEntryFrame(dst []byte, e *pb.Entry) []byte {
	var h [17]byte
	binary.BigEndian.PutUint64(h[:], e.GetIndex())
	binary.BigEndian.PutUint64(h[8:], e.GetTerm())
	h[16] = byte(e.GetType())
	return appendFrame(dst, kindEntry, h[:], e.GetData())
}

func appendHardStateFrame(dst []byte, hs *pb.HardState) []byte {
	var b [24]byte
	binary.BigEndian.PutUint64(b[:], hs.GetTerm())
	binary.BigEndian.PutUint64(b[8:], hs.GetVote())
	binary.BigEndian.PutUint64(b[16:], hs.GetCommit())
	return appendFrame(dst, kindHardState, b[:])
}

// save appends entries then the HardState (so a torn write never leaves a
// HardState that commits entries we do not have) and fsyncs if sync.
func (w *wal) save(hs *pb.HardState, ents []*pb.Entry, sync bool) error {
	w.buf = w.buf[:0]
	for _, e := range ents {
		w.buf = appendEntryFrame(w.buf, e)
	}
	if hs != nil {
		w.buf = appendHardStateFrame(w.buf, hs)
	}
	if len(w.buf) == 0 {
		return nil
	}
	if _, err := w.f.Write(w.buf); err != nil {
		return fmt.Errorf("raft: write wal: %w", err)
	}
	w.size += int64(len(w.buf))
	if sync {
		if err := w.f.Sync(); err != nil {
			return fmt.Errorf("raft: fsync wal: %w", err)
		}
	}
	return nil
}

// rewrite atomically replaces the WAL with hs and ents (the entries after the
// latest snapshot).
func (w *wal) rewrite(hs *pb.HardState, ents []*pb.Entry) error {
	var buf []byte
	for _, e := range ents {
		buf = appendEntryFrame(buf, e)
	}
	if hs != nil {
		buf = appendHardStateFrame(buf, hs)
	}
	path := filepath.Join(w.dir, walName)
	if err := writeFileAtomic(path, buf); err != nil {
		return fmt.Errorf("raft: rewrite wal: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("raft: reopen wal: %w", err)
	}
	w.f.Close()
	w.f, w.size = f, int64(len(buf))
	return nil
}

func (w *wal) close() error { return w.f.Close() }

// writeFileAtomic writes data to path via a synced temp file, a rename and a
// sync of the directory, so path holds either the old or the new content.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
