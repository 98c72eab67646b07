package storage

import (
	"fmt"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Free-space reserve. A log dir whose filesystem has less than
// MinFreeBytes available refuses appends with ErrStorage (Kafka's
// KAFKA_STORAGE_ERROR, which clients retry) before the disk is full, so
// the broker keeps room for checkpoints, index files and the clean-shutdown
// marker and never writes half a batch. When space returns (retention ran,
// an operator freed some) the next refresh lifts the refusal; nothing has to
// be restarted. The check is one atomic load per append: the free space is
// read by the manager's loop every spaceCheckInterval, and at once after
// a write fails.

// DirSpace tracks the free space of one log dir. Safe for concurrent use.
type DirSpace struct {
	path    string
	minFree int64
	free    atomic.Int64 // bytes available to the broker at the last refresh; -1 before it
	low     atomic.Bool
}

func newDirSpace(path string, minFree int64) *DirSpace {
	s := &DirSpace{path: path, minFree: minFree}
	s.free.Store(-1)
	return s
}

// refresh reads the filesystem's free space (statfs: blocks available to
// an unprivileged user, as df shows).
func (s *DirSpace) refresh() error {
	var st unix.Statfs_t
	if err := unix.Statfs(s.path, &st); err != nil {
		return fmt.Errorf("%w: statfs %s: %v", ErrStorage, s.path, err)
	}
	free := int64(st.Bavail) * int64(st.Bsize)
	s.free.Store(free)
	s.low.Store(free < s.minFree)
	return nil
}

// check returns ErrStorage while the dir is below its reserve.
func (s *DirSpace) check() error {
	if s == nil || !s.low.Load() {
		return nil
	}
	return fmt.Errorf("%w: log dir %s has %d bytes free, below log.dir.min.free.bytes=%d; appends resume once space is freed",
		ErrStorage, s.path, s.free.Load(), s.minFree)
}

// Free is the available space at the last refresh, -1 if never read.
func (s *DirSpace) Free() int64 { return s.free.Load() }

// Low reports whether the dir is below its reserve.
func (s *DirSpace) Low() bool { return s.low.Load() }

// refreshSpace rereads every log dir's free space and logs when one goes
// below or back above its reserve.
func (m *Manager) refreshSpace() {
	for _, d := range m.dirs {
		if d.space == nil {
			continue
		}
		was := d.space.Low()
		if err := d.space.refresh(); err != nil {
			m.opts.Logger.Error("reading free space", "dir", d.path, "err", err)
			continue
		}
		switch now := d.space.Low(); {
		case now && !was:
			m.opts.Logger.Warn("log dir is below its free-space reserve: refusing appends (KAFKA_STORAGE_ERROR) until space is freed",
				"dir", d.path, "free.bytes", d.space.Free(), "log.dir.min.free.bytes", d.space.minFree)
		case was && !now:
			m.opts.Logger.Info("log dir has free space again: accepting appends", "dir", d.path, "free.bytes", d.space.Free())
		}
	}
}

// Spaces returns each log dir's free-space tracker (nil entries when no
// reserve is configured), in log.dirs order.
func (m *Manager) Spaces() map[string]*DirSpace {
	out := make(map[string]*DirSpace, len(m.dirs))
	for _, d := range m.dirs {
		out[d.path] = d.space
	}
	return out
}
