package storage

import (
	"fmt"
	"path/filepath"
)

// cleanerCheckpointFile is Kafka's cleaner-offset-checkpoint: per log dir,
// "<topic> <partition> <offset>" lines in the format of the other offset
// checkpoints, where offset is the first dirty offset (everything below it
// has been cleaned at least once).
const cleanerCheckpointFile = "cleaner-offset-checkpoint"

// cleanerCheckpoint returns the partition's first dirty offset, -1 if none.
func (m *Manager) cleanerCheckpoint(tp TopicPartition) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if ld := m.where[tp]; ld != nil {
		if off, ok := ld.cleanerOffsets[tp]; ok {
			return off
		}
	}
	return -1
}

// setCleanerCheckpoint records a partition's first dirty offset and
// rewrites its log dir's cleaner-offset-checkpoint.
func (m *Manager) setCleanerCheckpoint(tp TopicPartition, offset int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	ld := m.where[tp]
	if ld == nil || m.logs[tp] == nil {
		return nil // removed meanwhile
	}
	ld.cleanerOffsets[tp] = offset
	return m.writeCleanerCheckpointLocked(ld)
}

func (m *Manager) writeCleanerCheckpointLocked(ld *logDir) error {
	name := filepath.Join(ld.path, cleanerCheckpointFile)
	if err := writeFileAtomic(m.opts.FS, ld.path, name, encodeOffsetCheckpoint(ld.cleanerOffsets)); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrStorage, cleanerCheckpointFile, err)
	}
	return nil
}

// CleanerCheckpoint is the partition's first dirty offset (-1 if it was
// never cleaned): tests and metrics.
func (m *Manager) CleanerCheckpoint(topic string, partition int32) int64 {
	return m.cleanerCheckpoint(TopicPartition{topic, partition})
}
