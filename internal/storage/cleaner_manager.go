package storage

import (
	"errors"
	"time"
)

// CleanerOptions are the broker's log.cleaner.* settings; zero fields take
// Kafka's defaults.
type CleanerOptions struct {
	// Disabled is !log.cleaner.enable (default enabled). Without a cleaner
	// compacted topics (__consumer_offsets too) grow without bound.
	Disabled bool
	// Threads is log.cleaner.threads (1).
	Threads int
	// Backoff is log.cleaner.backoff.ms (15 s): the pause when no log needs
	// cleaning.
	Backoff time.Duration
	// DedupeBufferSize is log.cleaner.dedupe.buffer.size (128 MiB), shared
	// by all threads: each thread's key map is bounded by its share.
	DedupeBufferSize int64
	// IOBufferSize is log.cleaner.io.buffer.size (512 KiB): cleaned bytes
	// are written in chunks of about this size.
	IOBufferSize int
}

func (o *CleanerOptions) setDefaults() {
	if o.Threads <= 0 {
		o.Threads = 1
	}
	if o.Backoff <= 0 {
		o.Backoff = 15 * time.Second
	}
	if o.DedupeBufferSize <= 0 {
		o.DedupeBufferSize = 128 << 20
	}
	if o.IOBufferSize <= 0 {
		o.IOBufferSize = 512 << 10
	}
}

func (m *Manager) startCleaners() {
	if m.opts.Cleaner.Disabled {
		return
	}
	for range m.opts.Cleaner.Threads {
		m.wg.Add(1)
		go m.cleanerThread()
	}
}

// cleanerThread is one of Kafka's CleanerThreads: clean the dirtiest log,
// or back off when none needs it. It stops when the Manager closes; a round
// in progress is abandoned (its *.cleaned files removed).
func (m *Manager) cleanerThread() {
	defer m.wg.Done()
	t := time.NewTimer(m.opts.Cleaner.Backoff)
	defer t.Stop()
	for {
		if m.cleanOnce() {
			select {
			case <-m.stop:
				return
			default:
				continue
			}
		}
		t.Reset(m.opts.Cleaner.Backoff)
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
	}
}

func (m *Manager) stopped() bool {
	select {
	case <-m.stop:
		return true
	default:
		return false
	}
}

// RunCleaner cleans logs until none needs it (tests; the background threads
// do the same on their own schedule). It returns how many rounds ran.
func (m *Manager) RunCleaner() int {
	n := 0
	for m.cleanOnce() {
		n++
	}
	return n
}

// cleanOnce picks the dirtiest compacted log (Kafka's
// grabFilthiestCompactedLog) and cleans it; it reports whether it did.
func (m *Manager) cleanOnce() bool {
	ltc, ok := m.grabFilthiest()
	if !ok {
		return false
	}
	defer func() {
		m.mu.Lock()
		delete(m.cleaning, ltc.tp)
		m.mu.Unlock()
	}()
	l := ltc.log
	if ltc.resetCheckpoint {
		m.setCleanerCheckpoint(ltc.tp, ltc.firstDirty)
	}
	share := m.opts.Cleaner.DedupeBufferSize / int64(m.opts.Cleaner.Threads)
	end, err := l.clean(cleanRound{ltc: ltc, memBytes: share, ioBuf: m.opts.Cleaner.IOBufferSize,
		done: func() bool { return m.stopped() || l.closed.Load() }})
	switch {
	case errors.Is(err, errCleaningAborted), errors.Is(err, ErrLogClosed):
		return false
	case err != nil:
		m.opts.Logger.Error("log cleaning failed", "partition", ltc.tp.String(), "err", err)
		return false
	}
	if err := m.setCleanerCheckpoint(ltc.tp, end); err != nil {
		m.opts.Logger.Error("writing cleaner checkpoint", "err", err)
	}
	m.opts.Logger.Debug("cleaned log", "partition", ltc.tp.String(), "first_dirty", ltc.firstDirty, "end", end)
	return end > ltc.firstDirty
}

// grabFilthiest chooses the compacted log with the highest dirty ratio
// among those above min.cleanable.dirty.ratio or past
// max.compaction.lag.ms, and marks it in progress.
func (m *Manager) grabFilthiest() (logToClean, bool) {
	now := m.opts.Now().UnixMilli()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return logToClean{}, false
	}
	var best logToClean
	found := false
	for tp, l := range m.logs {
		if !l.config().Compact() || m.cleaning[tp] || l.closed.Load() {
			continue
		}
		cp := int64(-1)
		if off, ok := m.where[tp].cleanerOffsets[tp]; ok {
			cp = off
		}
		c := l.cleanable(cp, now)
		c.tp = tp
		if c.shouldClean() && (!found || c.ratio() > best.ratio()) {
			best, found = c, true
		}
	}
	if found {
		m.cleaning[best.tp] = true
		// The truncation note is consumed: cleanable folded it into
		// firstDirty, which cleanOnce writes as the checkpoint first.
		best.log.truncatedTo.CompareAndSwap(best.truncatedTo, -1)
	}
	return best, found
}
