package replica

import (
	"errors"
	"fmt"

	"github.com/strom-project/strom/internal/storage"
)

// ErrPolicyViolation: DeleteRecords on a topic whose cleanup.policy lacks
// "delete" (Kafka refuses it with POLICY_VIOLATION).
var ErrPolicyViolation = errors.New("replica: records of a compact-only topic cannot be deleted")

// DeleteRecords is the leader side of the DeleteRecords API (Kafka's
// Partition.deleteRecordsOnLeader): it moves the partition's log start
// offset to offset (-1 means the high watermark) and returns the new low
// watermark. Followers follow from the log start offset in their Fetch
// responses (follower.go). Unlike Kafka, which answers once every ISR
// member's log start offset has caught up, this answers once the leader has
// moved it: a follower that becomes leader before its next fetch still
// serves the deleted records until then.
func (m *Manager) DeleteRecords(topic string, partition int32, offset int64) (int64, error) {
	p, err := m.Partition(topic, partition)
	if err != nil {
		return -1, err
	}
	if !p.IsLeader() {
		return -1, ErrNotLeader
	}
	lg := p.Log
	if cfg := lg.Config(); !cfg.Delete() {
		return -1, fmt.Errorf("%w: %s-%d", ErrPolicyViolation, topic, partition)
	}
	hw := lg.HighWatermark()
	switch {
	case offset == -1:
		offset = hw
	case offset < 0 || offset > hw:
		return -1, fmt.Errorf("%w: delete before %d, high watermark %d", storage.ErrOffsetOutOfRange, offset, hw)
	}
	if err := lg.DeleteRecordsBefore(offset); err != nil {
		return -1, err
	}
	return lg.LogStartOffset(), nil
}
