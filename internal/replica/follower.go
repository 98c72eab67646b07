package replica

import (
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/record"
	"github.com/strom-project/strom/internal/storage"
)

// The follower side of replication: what a fetch response does to the
// local log (Kafka's ReplicaFetcherThread.processPartitionData and the
// truncation in AbstractFetcherThread).

// errStale: the partition moved on (new epoch, new leader, removed) while
// the fetch was in flight; the response is dropped.
var errStale = fmt.Errorf("%w: fetch response for an older partition state", ErrNotLeader)

// checkFollowingLocked reports whether a response to it still applies: p
// still follows through f at the same leader epoch and nothing else
// changed its log end. Needs p.mu (read).
func (p *Partition) checkFollowingLocked(f *fetcher, it *fetchItem) error {
	st := p.state.Load()
	if p.removed || p.fetcher != f || st.Leader == p.nodeID || st.LeaderEpoch != it.leaderEpoch || p.Log.LogEndOffset() != it.fetchOffset {
		return errStale
	}
	return nil
}

// applyFetched applies one partition of a fetch response: truncate on a
// diverging epoch, else append the leader's batches as they are and take
// the leader's high watermark (capped at our log end) and log start.
func (p *Partition) applyFetched(f *fetcher, it *fetchItem, rp *kmsg.FetchResponseTopicPartition) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if err := p.checkFollowingLocked(f, it); err != nil {
		return nil // not an error: the next request is built from the new state
	}
	if d := rp.DivergingEpoch; d.Epoch >= 0 || d.EndOffset >= 0 {
		return p.truncateToDivergence(storage.EpochEndOffset{LeaderEpoch: d.Epoch, EndOffset: d.EndOffset})
	}
	if records := wholeBatches(rp.RecordBatches); len(records) > 0 {
		if _, err := p.Log.Append(records, storage.AppendOptions{Origin: storage.AppendReplication, RequiredAcks: -1}); err != nil {
			return fmt.Errorf("appending fetched batches at %d: %w", it.fetchOffset, err)
		}
	}
	p.Log.SetHighWatermark(rp.HighWatermark) // clamped to our log end: min(leader HW, LEO)
	if lso := min(rp.LogStartOffset, p.Log.HighWatermark()); lso > p.Log.LogStartOffset() {
		if err := p.Log.DeleteRecordsBefore(lso); err != nil {
			return fmt.Errorf("following the leader's log start %d: %w", lso, err)
		}
	}
	return nil
}

// wholeBatches drops a trailing partial batch (a Kafka leader may cut the
// last batch at the size limit; it is fetched again next time).
func wholeBatches(b []byte) []byte {
	keep := 0
	it := record.Iter{Buf: b}
	for it.Next() {
		keep = it.Pos + len(it.Batch)
	}
	return b[:keep]
}

// truncationOffset is where a follower truncates when the leader says its
// log diverges at div (Kafka's getOffsetTruncationState): to the end of
// the largest common epoch, never past either side's end. When the
// follower does not have the leader's epoch it truncates to the end of its
// own largest epoch below it, and the next fetch asks again.
func truncationOffset(l *storage.Log, div storage.EpochEndOffset) int64 {
	leo := l.LogEndOffset()
	switch {
	case div.EndOffset < 0:
		return l.HighWatermark() // the leader could not say: keep only what was committed
	case div.LeaderEpoch < 0:
		return min(div.EndOffset, leo)
	}
	mine, ok := l.EndOffsetForEpoch(div.LeaderEpoch)
	switch {
	case !ok:
		return min(div.EndOffset, leo)
	case mine.LeaderEpoch != div.LeaderEpoch:
		return min(mine.EndOffset, leo)
	}
	return min(mine.EndOffset, div.EndOffset, leo)
}

// truncateToDivergence cuts the log where the leader's says it diverges.
// Needs p.mu (read).
func (p *Partition) truncateToDivergence(div storage.EpochEndOffset) error {
	leo := p.Log.LogEndOffset()
	to := truncationOffset(p.Log, div)
	if to < leo {
		p.m.logger.Info("truncating diverged log", "partition", p.String(), "leader_epoch", p.state.Load().LeaderEpoch,
			"diverging_epoch", div.LeaderEpoch, "diverging_end_offset", div.EndOffset, "log_end_offset", leo, "truncate_to", to)
	}
	if err := p.Log.TruncateTo(to); err != nil {
		return fmt.Errorf("truncating to %d: %w", to, err)
	}
	return nil
}

// resetAfterOutOfRange applies the leader's log bounds after
// OFFSET_OUT_OF_RANGE; moved is false when the log was left as it was.
func (p *Partition) resetAfterOutOfRange(f *fetcher, it *fetchItem, leaderStart, leaderEnd int64) (moved bool, err error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.checkFollowingLocked(f, it) != nil {
		return true, nil
	}
	leo := p.Log.LogEndOffset()
	switch {
	case leaderEnd < leo:
		p.m.logger.Warn("follower ahead of the leader's log end; truncating", "partition", p.String(), "log_end_offset", leo,
			"leader_end_offset", leaderEnd)
		return true, p.Log.TruncateTo(leaderEnd)
	case leaderStart > leo:
		p.m.logger.Info("follower behind the leader's log start; restarting the log there", "partition", p.String(),
			"log_end_offset", leo, "leader_start_offset", leaderStart)
		return true, p.Log.TruncateFullyAndStartAt(leaderStart)
	}
	return false, nil
}
