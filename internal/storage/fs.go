package storage

import (
	"errors"
	"io"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// File is the subset of *os.File the log uses. Keeping I/O behind File and FS
// lets a crash-testing FS (one that forgets unsynced bytes, or injects
// errors, as pebble's vfs does) be slotted in without touching the log.
type File interface {
	io.ReaderAt
	io.WriterAt
	io.Closer
	Sync() error
	Truncate(size int64) error
	Stat() (fs.FileInfo, error)
	// Preallocate reserves size bytes, extending the file's apparent size
	// (like Kafka's RandomAccessFile.setLength): fdatasync of an append into
	// already-allocated blocks then does not have to journal a size change.
	Preallocate(size int64) error
}

// FS is the filesystem the log uses.
type FS interface {
	OpenFile(name string, flag int, perm os.FileMode) (File, error)
	Remove(name string) error
	RemoveAll(name string) error
	Rename(oldname, newname string) error
	MkdirAll(name string, perm os.FileMode) error
	ReadDir(name string) ([]os.DirEntry, error)
	Stat(name string) (os.FileInfo, error)
	// SyncDir fsyncs a directory so created, renamed and removed entries
	// survive power loss.
	SyncDir(name string) error
}

// OSFS is the real filesystem.
var OSFS FS = osFS{}

type osFS struct{}

type osFile struct{ *os.File }

// withFd runs fn on the descriptor through RawConn.Control, which pins the
// descriptor so a concurrent Close waits instead of racing (File.Fd does not).
func (f osFile) withFd(fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

func (f osFile) Sync() error {
	// fdatasync: the data and the size, not atime/mtime.
	return f.withFd(func(fd int) error {
		for {
			err := unix.Fdatasync(fd)
			if !errors.Is(err, unix.EINTR) {
				return err
			}
		}
	})
}

func (f osFile) Preallocate(size int64) error {
	err := f.withFd(func(fd int) error { return unix.Fallocate(fd, 0, 0, size) })
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOSYS) {
		// Filesystems without fallocate: a sparse extension still gives
		// the stable file size.
		return f.Truncate(size)
	}
	return err
}

func (osFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}
func (osFS) Remove(name string) error                     { return os.Remove(name) }
func (osFS) RemoveAll(name string) error                  { return os.RemoveAll(name) }
func (osFS) Rename(o, n string) error                     { return os.Rename(o, n) }
func (osFS) MkdirAll(name string, perm os.FileMode) error { return os.MkdirAll(name, perm) }
func (osFS) ReadDir(name string) ([]os.DirEntry, error)   { return os.ReadDir(name) }
func (osFS) Stat(name string) (os.FileInfo, error)        { return os.Stat(name) }
func (osFS) SyncDir(name string) error {
	d, err := os.Open(name)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// readFile reads a whole (small) file through fsys.
func readFile(fsys FS, name string) ([]byte, error) {
	f, err := fsys.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	b := make([]byte, st.Size())
	n, err := f.ReadAt(b, 0)
	if err == io.EOF && n == len(b) {
		err = nil
	}
	return b[:n], err
}

// writeFileAtomic writes name via a temp file, fsync and rename, then
// fsyncs the directory: readers see the old or the new content, never a mix.
func writeFileAtomic(fsys FS, dir, name string, data []byte) error {
	tmp := name + ".tmp"
	f, err := fsys.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err = f.WriteAt(data, 0); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fsys.Remove(tmp)
		return err
	}
	if err := fsys.Rename(tmp, name); err != nil {
		return err
	}
	return fsys.SyncDir(dir)
}
