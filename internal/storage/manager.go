package storage

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ManagerOptions tune the Manager; zero fields take Kafka's defaults.
type ManagerOptions struct {
	Logger *slog.Logger
	Now    func() time.Time
	FS     FS // nil: the real filesystem
	// RetentionCheckInterval is log.retention.check.interval.ms (5 min).
	RetentionCheckInterval time.Duration
	// FlushCheckInterval is log.flush.scheduler.interval.ms: how often
	// flush.ms is checked (Kafka's default never checks; ours is 1 s, which
	// costs nothing while flush.ms is unset).
	FlushCheckInterval time.Duration
	// CheckpointInterval is log.flush.offset.checkpoint.interval.ms and
	// log.flush.start.offset.checkpoint.interval.ms (60 s).
	CheckpointInterval time.Duration
	// HighWatermarkCheckpointInterval is
	// replica.high.watermark.checkpoint.interval.ms (5 s): how often every
	// log's high watermark is written to replication-offset-checkpoint.
	HighWatermarkCheckpointInterval time.Duration
	// Cleaner configures the log cleaner (log.cleaner.*).
	Cleaner CleanerOptions
	// MinFreeBytes is log.dir.min.free.bytes: a log dir with less free
	// space refuses appends (space.go). 0: no reserve.
	MinFreeBytes int64
	// SpaceCheckInterval is how often free space is read (1 s).
	SpaceCheckInterval time.Duration
}

func (o *ManagerOptions) setDefaults() {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.FS == nil {
		o.FS = OSFS
	}
	if o.RetentionCheckInterval <= 0 {
		o.RetentionCheckInterval = 5 * time.Minute
	}
	if o.FlushCheckInterval <= 0 {
		o.FlushCheckInterval = time.Second
	}
	if o.SpaceCheckInterval <= 0 {
		o.SpaceCheckInterval = time.Second
	}
	if o.CheckpointInterval <= 0 {
		o.CheckpointInterval = time.Minute
	}
	if o.HighWatermarkCheckpointInterval <= 0 {
		o.HighWatermarkCheckpointInterval = 5 * time.Second
	}
	o.Cleaner.setDefaults()
}

// logDir is the state of one log.dirs entry.
type logDir struct {
	path           string
	clean          bool  // held a clean-shutdown marker at startup
	previousEpoch  int64 // the broker epoch in that marker, -1 if none (clean_shutdown.go)
	recoveryPoints map[TopicPartition]int64
	startOffsets   map[TopicPartition]int64
	highWatermarks map[TopicPartition]int64
	cleanerOffsets map[TopicPartition]int64 // cleaner-offset-checkpoint
	onDisk         map[TopicPartition]bool  // partition directories present
	space          *DirSpace                // free-space reserve of the dir
}

// Manager owns every partition log under log.dirs (Kafka's LogManager):
// placement, startup state, background retention / flush / checkpoints and
// the clean-shutdown marker. Safe for concurrent use.
type Manager struct {
	opts ManagerOptions
	dirs []*logDir

	mu     sync.Mutex
	logs   map[TopicPartition]*Log
	where  map[TopicPartition]*logDir
	closed bool

	stop    chan struct{}
	wg      sync.WaitGroup
	started bool

	brokerEpoch atomic.Int64 // written to the clean-shutdown marker (clean_shutdown.go)

	cleaning map[TopicPartition]bool // mu: logs a cleaner thread holds
}

// NewManager reads (and removes) the clean-shutdown marker and the checkpoints.
func NewManager(dirs []string, logger *slog.Logger, now func() time.Time) (*Manager, error) {
	return NewManagerWithOptions(dirs, ManagerOptions{Logger: logger, Now: now})
}

// NewManagerWithOptions is NewManager with every knob.
func NewManagerWithOptions(dirs []string, opts ManagerOptions) (*Manager, error) {
	opts.setDefaults()
	if len(dirs) == 0 {
		return nil, errors.New("storage: no log dirs")
	}
	m := &Manager{opts: opts, logs: map[TopicPartition]*Log{}, where: map[TopicPartition]*logDir{}, stop: make(chan struct{}),
		cleaning: map[TopicPartition]bool{}}
	for _, d := range dirs {
		ld, err := m.openDir(d)
		if err != nil {
			return nil, err
		}
		m.dirs = append(m.dirs, ld)
		for tp := range ld.onDisk {
			if other, dup := m.where[tp]; dup {
				return nil, fmt.Errorf("%w: partition %s in both %s and %s", ErrStorage, tp, other.path, ld.path)
			}
			m.where[tp] = ld
		}
	}
	return m, nil
}

func (m *Manager) openDir(path string) (*logDir, error) {
	fsys := m.opts.FS
	if err := fsys.MkdirAll(path, 0o755); err != nil {
		return nil, fmt.Errorf("%w: create log dir %s: %v", ErrStorage, path, err)
	}
	ld := &logDir{path: path, onDisk: map[TopicPartition]bool{}, previousEpoch: -1}
	if m.opts.MinFreeBytes > 0 {
		ld.space = newDirSpace(path, m.opts.MinFreeBytes)
		if err := ld.space.refresh(); err != nil {
			return nil, err
		}
		if ld.space.Low() {
			m.opts.Logger.Warn("log dir is below its free-space reserve: appends are refused until space is freed",
				"dir", path, "free.bytes", ld.space.Free(), "log.dir.min.free.bytes", m.opts.MinFreeBytes)
		}
	}
	marker := filepath.Join(path, cleanShutdownFile)
	if _, err := fsys.Stat(marker); err == nil {
		ld.clean = true
		ld.previousEpoch = readCleanShutdown(fsys, marker)
		// Removed now, so a crash from here on is detected next start.
		if err := fsys.Remove(marker); err != nil {
			return nil, fmt.Errorf("%w: remove %s: %v", ErrStorage, marker, err)
		}
		if err := fsys.SyncDir(path); err != nil {
			return nil, fmt.Errorf("%w: sync %s: %v", ErrStorage, path, err)
		}
	}
	var err error
	if ld.recoveryPoints, err = m.readOffsetCheckpoint(filepath.Join(path, recoveryPointCheckpointFile)); err != nil {
		// Without trustworthy recovery points everything is scanned.
		ld.clean, ld.recoveryPoints = false, map[TopicPartition]int64{}
	}
	if ld.startOffsets, err = m.readOffsetCheckpoint(filepath.Join(path, logStartOffsetCheckpointFile)); err != nil {
		ld.startOffsets = map[TopicPartition]int64{}
	}
	if ld.cleanerOffsets, err = m.readOffsetCheckpoint(filepath.Join(path, cleanerCheckpointFile)); err != nil {
		// Kafka too starts over: every compacted log is cleaned from its start.
		ld.cleanerOffsets = map[TopicPartition]int64{}
	}
	if ld.highWatermarks, err = m.readOffsetCheckpoint(filepath.Join(path, replicationOffsetCheckpointFile)); err != nil {
		// Kafka starts such partitions at HW 0: the replica layer moves it
		// up again as the ISR confirms what it has.
		ld.highWatermarks = map[TopicPartition]int64{}
	}
	ents, err := fsys.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("%w: list %s: %v", ErrStorage, path, err)
	}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		if strings.HasSuffix(e.Name(), "-delete") {
			m.removeDirAsync(filepath.Join(path, e.Name()))
			continue
		}
		if tp, ok := parseTopicPartition(e.Name()); ok {
			ld.onDisk[tp] = true
		}
	}
	m.opts.Logger.Info("opened log dir", "dir", path, "clean_shutdown", ld.clean, "partitions", len(ld.onDisk))
	return ld, nil
}

func (m *Manager) readOffsetCheckpoint(name string) (map[TopicPartition]int64, error) {
	b, err := readFile(m.opts.FS, name)
	if isNotExist(err) {
		return map[TopicPartition]int64{}, nil
	}
	if err != nil {
		return nil, err
	}
	cp, err := parseOffsetCheckpoint(b)
	if err != nil {
		m.opts.Logger.Warn("ignoring malformed checkpoint", "file", name, "err", err)
	}
	return cp, err
}

// validTopic guards the path: Kafka's legal topic names, at most 249 chars.
func validTopic(t string) bool {
	if t == "" || t == "." || t == ".." || len(t) > 249 {
		return false
	}
	for _, c := range t {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// GetOrCreate returns the open log for the partition, opening (and
// recovering) or creating it on first use. cfg replaces the log's config.
func (m *Manager) GetOrCreate(topic string, partition int32, cfg LogConfig) (*Log, error) {
	tp := TopicPartition{topic, partition}
	if !validTopic(topic) || partition < 0 {
		return nil, fmt.Errorf("%w: invalid partition %q/%d", ErrStorage, topic, partition)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrLogClosed
	}
	if l := m.logs[tp]; l != nil {
		l.SetConfig(cfg)
		return l, nil
	}
	ld := m.where[tp]
	if ld == nil {
		ld = m.leastLoadedDir()
	}
	l, err := Open(Options{
		Dir: partitionDir(ld.path, tp), Config: cfg, Now: m.opts.Now, Logger: m.opts.Logger, FS: m.opts.FS,
		Clean: ld.clean && ld.onDisk[tp], RecoveryPoint: ld.recoveryPoints[tp], LogStartOffset: ld.startOffsets[tp],
		// A partition missing from the checkpoint starts at 0, as in Kafka.
		HighWatermark: ld.highWatermarks[tp],
		Space:         ld.space,
	})
	if err != nil {
		return nil, err
	}
	m.logs[tp], m.where[tp] = l, ld
	ld.onDisk[tp] = true
	return l, nil
}

// leastLoadedDir picks the log dir with the fewest partitions (Kafka's rule).
func (m *Manager) leastLoadedDir() *logDir {
	best := m.dirs[0]
	for _, d := range m.dirs[1:] {
		if len(d.onDisk) < len(best.onDisk) {
			best = d
		}
	}
	return best
}

func (m *Manager) Get(topic string, partition int32) *Log {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.logs[TopicPartition{topic, partition}]
}

// Partitions lists every partition found on disk or created, open or not.
func (m *Manager) Partitions() []TopicPartition {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]TopicPartition, 0, len(m.where))
	for tp := range m.where {
		out = append(out, tp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// Remove closes the partition's log and deletes its directory: renamed to
// <topic>-<partition>.<id>-delete first (atomic, as Kafka does), then removed
// in the background.
func (m *Manager) Remove(topic string, partition int32) error {
	tp := TopicPartition{topic, partition}
	m.mu.Lock()
	defer m.mu.Unlock()
	ld := m.where[tp]
	if ld == nil {
		return nil
	}
	if l := m.logs[tp]; l != nil {
		l.closeForDelete()
		delete(m.logs, tp)
	}
	delete(m.where, tp)
	delete(ld.onDisk, tp)
	delete(ld.recoveryPoints, tp)
	delete(ld.startOffsets, tp)
	delete(ld.highWatermarks, tp)
	if _, ok := ld.cleanerOffsets[tp]; ok {
		delete(ld.cleanerOffsets, tp)
		if err := m.writeCleanerCheckpointLocked(ld); err != nil {
			m.opts.Logger.Warn("updating cleaner checkpoint", "err", err)
		}
	}
	src := partitionDir(ld.path, tp)
	var id [8]byte
	rand.Read(id[:])
	dst := fmt.Sprintf("%s.%s-delete", src, hex.EncodeToString(id[:]))
	if err := m.opts.FS.Rename(src, dst); err != nil {
		if isNotExist(err) {
			return nil
		}
		return fmt.Errorf("%w: rename %s: %v", ErrStorage, src, err)
	}
	if err := m.opts.FS.SyncDir(ld.path); err != nil {
		return fmt.Errorf("%w: sync %s: %v", ErrStorage, ld.path, err)
	}
	m.removeDirAsync(dst)
	return nil
}

func (m *Manager) removeDirAsync(path string) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		if err := m.opts.FS.RemoveAll(path); err != nil {
			m.opts.Logger.Warn("removing deleted partition dir", "dir", path, "err", err)
		}
	}()
}

// Start runs retention, time-based flush and checkpointing in the background.
func (m *Manager) Start() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started || m.closed {
		return
	}
	m.started = true
	m.wg.Add(1)
	go m.loop()
	m.startCleaners()
}

func (m *Manager) loop() {
	defer m.wg.Done()
	retention := time.NewTicker(m.opts.RetentionCheckInterval)
	flush := time.NewTicker(m.opts.FlushCheckInterval)
	checkpoint := time.NewTicker(m.opts.CheckpointInterval)
	hwCheckpoint := time.NewTicker(m.opts.HighWatermarkCheckpointInterval)
	space := time.NewTicker(m.opts.SpaceCheckInterval)
	defer space.Stop()
	defer hwCheckpoint.Stop()
	defer retention.Stop()
	defer flush.Stop()
	defer checkpoint.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-retention.C:
			m.RunRetention()
		case <-flush.C:
			now := m.opts.Now().UnixMilli()
			for _, l := range m.openLogs() {
				if err := l.flushIfDue(now); err != nil && !errors.Is(err, ErrLogClosed) {
					m.opts.Logger.Error("scheduled flush failed", "dir", l.dir, "err", err)
				}
			}
		case <-checkpoint.C:
			if err := m.WriteCheckpoints(); err != nil {
				m.opts.Logger.Error("writing checkpoints", "err", err)
			}
		case <-hwCheckpoint.C:
			if err := m.WriteHighWatermarks(); err != nil {
				m.opts.Logger.Error("writing high watermark checkpoints", "err", err)
			}
		case <-space.C:
			m.refreshSpace()
		}
	}
}

func (m *Manager) openLogs() []*Log {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*Log, 0, len(m.logs))
	for _, l := range m.logs {
		out = append(out, l)
	}
	return out
}

// RunRetention runs one retention pass over every open log and checkpoints
// the log start offsets if any moved. The background loop calls it; tests
// call it directly.
func (m *Manager) RunRetention() {
	deleted := 0
	for _, l := range m.openLogs() {
		n, err := l.DeleteOldSegments()
		if err != nil && !errors.Is(err, ErrLogClosed) {
			m.opts.Logger.Error("retention failed", "dir", l.dir, "err", err)
		}
		deleted += n
	}
	if deleted > 0 {
		if err := m.WriteCheckpoints(); err != nil {
			m.opts.Logger.Error("writing checkpoints", "err", err)
		}
	}
}

// WriteCheckpoints writes recovery-point-offset-checkpoint and
// log-start-offset-checkpoint in every log dir. Partitions on disk but not
// opened keep their previous entries.
func (m *Manager) WriteCheckpoints() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.writeCheckpointsLocked()
}

func (m *Manager) writeCheckpointsLocked() error {
	for tp, l := range m.logs {
		ld := m.where[tp]
		ld.recoveryPoints[tp] = l.RecoveryPoint()
		ld.startOffsets[tp] = l.LogStartOffset()
	}
	var errs []error
	for _, ld := range m.dirs {
		for _, pair := range []struct {
			file string
			m    map[TopicPartition]int64
		}{{recoveryPointCheckpointFile, ld.recoveryPoints}, {logStartOffsetCheckpointFile, ld.startOffsets}} {
			if err := writeFileAtomic(m.opts.FS, ld.path, filepath.Join(ld.path, pair.file), encodeOffsetCheckpoint(pair.m)); err != nil {
				errs = append(errs, fmt.Errorf("%w: %s: %v", ErrStorage, pair.file, err))
			}
		}
	}
	return errors.Join(errs...)
}

// WriteHighWatermarks writes replication-offset-checkpoint in every log dir
// (Kafka's ReplicaManager.checkpointHighWatermarks). Partitions on disk but
// not opened keep their previous entries.
func (m *Manager) WriteHighWatermarks() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.writeHighWatermarksLocked()
}

func (m *Manager) writeHighWatermarksLocked() error {
	for tp, l := range m.logs {
		m.where[tp].highWatermarks[tp] = l.HighWatermark()
	}
	var errs []error
	for _, ld := range m.dirs {
		if err := writeFileAtomic(m.opts.FS, ld.path, filepath.Join(ld.path, replicationOffsetCheckpointFile), encodeOffsetCheckpoint(ld.highWatermarks)); err != nil {
			errs = append(errs, fmt.Errorf("%w: %s: %v", ErrStorage, replicationOffsetCheckpointFile, err))
		}
	}
	return errors.Join(errs...)
}

// Close closes every log, writes checkpoints and, only if all of that
// succeeded, the clean-shutdown marker in each log dir.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	close(m.stop)
	m.mu.Unlock()
	m.wg.Wait()

	m.mu.Lock()
	defer m.mu.Unlock()
	var errs []error
	for tp, l := range m.logs {
		if err := l.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", tp, err))
		}
	}
	if err := m.writeCheckpointsLocked(); err != nil {
		errs = append(errs, err)
	}
	if err := m.writeHighWatermarksLocked(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	for _, ld := range m.dirs {
		if err := writeFileAtomic(m.opts.FS, ld.path, filepath.Join(ld.path, cleanShutdownFile), encodeCleanShutdown(m.brokerEpoch.Load())); err != nil {
			errs = append(errs, fmt.Errorf("%w: clean-shutdown marker: %v", ErrStorage, err))
		}
	}
	return errors.Join(errs...)
}
