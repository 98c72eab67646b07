package storage

import (
	"path/filepath"
	"sync"
)

// undefinedEpoch / undefinedEpochOffset are Kafka's UNDEFINED_EPOCH(_OFFSET).
const (
	undefinedEpoch       = -1
	undefinedEpochOffset = -1
)

type epochEntry struct {
	Epoch       int32
	StartOffset int64
}

// epochCache is Kafka's LeaderEpochFileCache: the start offset of each leader
// epoch seen in the log, persisted to leader-epoch-checkpoint on every change.
// Safe for concurrent use.
type epochCache struct {
	mu      sync.RWMutex
	entries []epochEntry // ascending in both Epoch and StartOffset
	fs      FS
	dir     string
}

func loadEpochCache(fsys FS, dir string) (*epochCache, error) {
	c := &epochCache{fs: fsys, dir: dir}
	b, err := readFile(fsys, filepath.Join(dir, leaderEpochCheckpointFile))
	if err != nil {
		if isNotExist(err) {
			return c, nil
		}
		return nil, err
	}
	es, err := parseEpochCheckpoint(b)
	if err != nil {
		// A torn checkpoint is rebuilt from the batches by recovery.
		return c, nil
	}
	c.entries = es
	return c, nil
}

func (c *epochCache) flushLocked() error {
	return writeFileAtomic(c.fs, c.dir, filepath.Join(c.dir, leaderEpochCheckpointFile), encodeEpochCheckpoint(c.entries))
}

// assign records that epoch starts at startOffset (Kafka's assign): a no-op
// unless epoch is new or starts earlier; entries it overlaps are dropped.
func (c *epochCache) assign(epoch int32, startOffset int64) error {
	if epoch < 0 || startOffset < 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := len(c.entries); n > 0 {
		last := c.entries[n-1]
		if last.Epoch == epoch && startOffset >= last.StartOffset {
			return nil
		}
	}
	keep := len(c.entries)
	for keep > 0 && (c.entries[keep-1].Epoch >= epoch || c.entries[keep-1].StartOffset >= startOffset) {
		keep--
	}
	c.entries = append(c.entries[:keep], epochEntry{epoch, startOffset})
	return c.flushLocked()
}

func (c *epochCache) latest() (epochEntry, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if len(c.entries) == 0 {
		return epochEntry{}, false
	}
	return c.entries[len(c.entries)-1], true
}

// epochFor returns the epoch of the entry covering offset, or -1.
func (c *epochCache) epochFor(offset int64) int32 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for i := len(c.entries) - 1; i >= 0; i-- {
		if c.entries[i].StartOffset <= offset {
			return c.entries[i].Epoch
		}
	}
	return undefinedEpoch
}

// endOffsetFor is Kafka's LeaderEpochFileCache.endOffsetFor, case for case.
func (c *epochCache) endOffsetFor(requested int32, logEndOffset int64) (int32, int64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := len(c.entries)
	if requested == undefinedEpoch || n == 0 {
		return undefinedEpoch, undefinedEpochOffset
	}
	if c.entries[n-1].Epoch == requested {
		// The current epoch is still being written: its end is the LEO.
		return requested, logEndOffset
	}
	hi := -1 // first entry with Epoch > requested
	for i, e := range c.entries {
		if e.Epoch > requested {
			hi = i
			break
		}
	}
	if hi < 0 {
		return undefinedEpoch, undefinedEpochOffset
	}
	if hi == 0 {
		// Older than anything cached: answer with the first later epoch's
		// start, as Kafka does (epochs in between may have been removed).
		return requested, c.entries[0].StartOffset
	}
	return c.entries[hi-1].Epoch, c.entries[hi].StartOffset
}

// truncateFromEnd drops entries starting at or after endOffset (log truncation).
func (c *epochCache) truncateFromEnd(endOffset int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	keep := len(c.entries)
	for keep > 0 && c.entries[keep-1].StartOffset >= endOffset {
		keep--
	}
	if keep == len(c.entries) {
		return nil
	}
	c.entries = c.entries[:keep]
	return c.flushLocked()
}

// truncateFromStart drops entries wholly below startOffset, moving the last
// such entry's start up to startOffset (Kafka: truncateFromStart).
func (c *epochCache) truncateFromStart(startOffset int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := 0
	for i < len(c.entries) && c.entries[i].StartOffset < startOffset {
		i++
	}
	if i == 0 {
		return nil
	}
	last := c.entries[i-1]
	last.StartOffset = startOffset
	c.entries = append([]epochEntry{last}, c.entries[i:]...)
	if len(c.entries) > 1 && c.entries[1].StartOffset == startOffset {
		c.entries = c.entries[1:]
	}
	return c.flushLocked()
}

func (c *epochCache) snapshot() []epochEntry {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return append([]epochEntry(nil), c.entries...)
}
