package replica

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/storage"
)

// The leader side of replication (Kafka's Partition + Replica): what the
// leader knows of each follower, the high watermark, ISR expansion and
// shrinking, and the divergence check in Fetch.

// unknownOffset is Kafka's UnifiedLog.UnknownOffset: a follower whose
// position this leader has not heard yet.
const unknownOffset = -1

// noBrokerEpoch: the follower has not fetched since this leadership began,
// so its broker epoch is unknown and it may not join the ISR yet (KIP-903).
// A fetch without one (before v15) records -1, which bypasses the check.
const noBrokerEpoch = -2

// follower is the leader's view of one other replica (Kafka's
// ReplicaState). Fields are guarded by Partition.trackMu; times are Unix ms.
type follower struct {
	leo                int64 // the follower's log end offset: its last fetch offset
	logStart           int64
	lastFetchLeaderLEO int64 // the leader's LEO at the follower's previous fetch
	lastFetchMs        int64
	lastCaughtUpMs     int64 // last time the follower had everything the leader had
	brokerEpoch        int64
}

func newFollower(lastCaughtUpMs int64) *follower {
	return &follower{leo: unknownOffset, logStart: unknownOffset, lastFetchLeaderLEO: unknownOffset,
		lastCaughtUpMs: lastCaughtUpMs, brokerEpoch: noBrokerEpoch}
}

// updateFetch records a fetch at fetchOffset, served when the leader's LEO
// was leaderLEO (Kafka's Replica.updateFetchStateOrThrow): the follower
// was caught up at this fetch if it asked for the leader's end, or at its
// previous fetch if it now asks for what was the end back then.
func (f *follower) updateFetch(fetchOffset, logStart, nowMs, leaderLEO, brokerEpoch int64) {
	switch {
	case fetchOffset >= leaderLEO:
		f.lastCaughtUpMs = max(f.lastCaughtUpMs, nowMs)
	case fetchOffset >= f.lastFetchLeaderLEO:
		f.lastCaughtUpMs = max(f.lastCaughtUpMs, f.lastFetchMs)
	}
	f.leo, f.logStart = fetchOffset, logStart
	f.lastFetchLeaderLEO, f.lastFetchMs = leaderLEO, nowMs
	f.brokerEpoch = brokerEpoch
}

// caughtUp is Kafka's isCaughtUp: level with the leader now, or caught up
// within the last lagMs.
func (f *follower) caughtUp(leaderLEO, nowMs, lagMs int64) bool {
	return f.leo == leaderLEO || nowMs-f.lastCaughtUpMs <= lagMs
}

// isrChange is one AlterPartition in flight.
type isrChange struct {
	isr            []int32
	leaderEpoch    int32
	partitionEpoch int32
}

// becomeLeaderLocked takes leadership (Kafka's makeLeader). On a new leader
// epoch the epoch is recorded at the log end offset and follower positions
// are reset: in-sync followers count as caught up now, the others not
// (so a stale follower neither holds the HW back nor rejoins before it
// fetches). The HW is kept: it only moves forward from here.
func (p *Partition) becomeLeaderLocked(st *metadata.Partition, wasLeader, newEpoch bool) {
	nowMs := p.m.nowMs()
	prev := p.followers
	p.followers = make(map[int32]*follower, len(st.Replicas))
	if newEpoch {
		start, err := p.Log.AssignLeaderEpoch(st.LeaderEpoch)
		if err != nil {
			p.m.logger.Error("recording the leader epoch", "partition", p.String(), "leader_epoch", st.LeaderEpoch, "err", err)
			start = p.Log.LogEndOffset()
		}
		p.leaderEpochStart = start
		level := slog.LevelInfo
		if len(st.Replicas) == 1 {
			level = slog.LevelDebug // nothing to replicate: not news on a single node
		}
		p.m.logger.Log(context.Background(), level, "became leader", "partition", p.String(), "leader_epoch", st.LeaderEpoch,
			"isr", st.ISR, "epoch_start_offset", start, "high_watermark", p.Log.HighWatermark())
	}
	for _, id := range st.Replicas {
		if id == p.nodeID {
			continue
		}
		inSync := slices.Contains(st.ISR, id)
		var caughtUp int64
		if inSync {
			caughtUp = nowMs
		}
		f := prev[id]
		switch {
		case f == nil || !wasLeader:
			f = newFollower(caughtUp)
		case newEpoch:
			// Re-elected: keep the follower's position, restart its clock.
			f.lastFetchLeaderLEO = p.leaderEpochStart
			f.lastFetchMs, f.lastCaughtUpMs = caughtUp, caughtUp
		}
		p.followers[id] = f
	}
	p.m.unfollowLocked(p)
	p.state.Store(st)
	p.maximalISR = st.ISR
	p.maybeIncrementHWLocked(st)
}

// maybeIncrementHWLocked moves the high watermark up to the smallest log
// end offset among the leader, the maximal ISR and followers that are
// caught up and may join it (Kafka's maybeIncrementLeaderHW, KIP-497) — but
// not while the ISR is below min.insync.replicas (KIP-966's strict rule).
// It reports whether the HW moved. Needs mu (read or write).
func (p *Partition) maybeIncrementHWLocked(st *metadata.Partition) bool {
	if st.Leader != p.nodeID || len(st.ISR) < p.effectiveMinISR(st) {
		return false
	}
	leo := p.Log.LogEndOffset()
	if len(p.followers) == 0 {
		return p.Log.MaybeIncrementHighWatermark(leo)
	}
	hw := leo
	nowMs := int64(-1)
	p.trackMu.Lock()
	for id, f := range p.followers {
		if f.leo >= hw {
			continue
		}
		if slices.Contains(p.maximalISR, id) {
			hw = f.leo
			continue
		}
		if nowMs < 0 {
			nowMs = p.m.nowMs()
		}
		if f.caughtUp(leo, nowMs, p.m.set.lagMs) && p.m.isrEligible(id, f.brokerEpoch) {
			// About to join the ISR: wait for it rather than run away
			// from it (Kafka's shouldWaitForReplicaToJoinIsr).
			hw = f.leo
		}
	}
	p.trackMu.Unlock()
	return p.Log.MaybeIncrementHighWatermark(hw)
}

// CheckFollower validates a replica fetch before it reads: this broker must
// lead the partition and replicaID must be one of its other replicas
// (Kafka answers NOT_LEADER_OR_FOLLOWER to an unknown replica).
func (p *Partition) CheckFollower(replicaID int32) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.state.Load().Leader != p.nodeID {
		return ErrNotLeader
	}
	if p.followers[replicaID] == nil {
		return fmt.Errorf("%w: replica %d is not a follower of %s", ErrNotLeader, replicaID, p)
	}
	return nil
}

// FollowerFetched records a follower's fetch (Kafka's
// updateFollowerFetchState): fetchOffset is its log end offset, leaderLEO
// the leader's log end offset when the fetch was served, brokerEpoch the
// follower's broker epoch from the request (-1 if it did not send one).
// It may advance the high watermark and propose adding the follower to
// the ISR.
func (p *Partition) FollowerFetched(replicaID int32, fetchOffset, logStartOffset, brokerEpoch, leaderLEO int64) error {
	p.mu.RLock()
	st := p.state.Load()
	f := p.followers[replicaID]
	if st.Leader != p.nodeID || f == nil {
		p.mu.RUnlock()
		return ErrNotLeader
	}
	p.trackMu.Lock()
	prevLEO := f.leo
	f.updateFetch(fetchOffset, logStartOffset, p.m.nowMs(), leaderLEO, brokerEpoch)
	p.trackMu.Unlock()
	expand := p.needsExpandLocked(st, replicaID)
	if prevLEO != fetchOffset {
		p.maybeIncrementHWLocked(st)
	}
	p.mu.RUnlock()
	if expand {
		p.maybeExpandISR(replicaID)
	}
	return nil
}

// needsExpandLocked is Kafka's needsExpandIsr: no change in flight, the
// follower is not in the ISR, is eligible, has reached the high watermark
// and everything before this leader epoch (so it holds all committed data
// even if it becomes leader right after joining). Needs mu.
func (p *Partition) needsExpandLocked(st *metadata.Partition, id int32) bool {
	f := p.followers[id]
	if p.m.opts.AlterPartition == nil || p.pending != nil || f == nil || slices.Contains(st.ISR, id) ||
		(p.noProposalUntilMs != 0 && p.m.nowMs() < p.noProposalUntilMs) {
		return false
	}
	p.trackMu.Lock()
	leo, epoch := f.leo, f.brokerEpoch
	p.trackMu.Unlock()
	return leo >= p.Log.HighWatermark() && leo >= p.leaderEpochStart && p.m.isrEligible(id, epoch)
}

// maybeExpandISR proposes ISR + id if it is still needed.
func (p *Partition) maybeExpandISR(id int32) {
	p.mu.Lock()
	st := p.state.Load()
	if st.Leader != p.nodeID || !p.needsExpandLocked(st, id) {
		p.mu.Unlock()
		return
	}
	ch := &isrChange{isr: append(slices.Clone(st.ISR), id), leaderEpoch: st.LeaderEpoch, partitionEpoch: st.PartitionEpoch}
	p.pending = ch
	// Expansion is optimistic: the HW waits for the new member at once,
	// which is safe whether or not the controller accepts it.
	p.maximalISR = ch.isr
	p.mu.Unlock()
	p.m.logger.Info("proposing ISR expansion", "partition", p.String(), "isr", st.ISR, "new_isr", ch.isr, "follower", id)
	p.m.submitAlter(p, ch)
}

// outOfSync lists the ISR members that have not caught up within lagMs
// (Kafka's getOutOfSyncReplicas). Needs mu.
func (p *Partition) outOfSyncLocked(st *metadata.Partition, nowMs int64) []int32 {
	leo := p.Log.LogEndOffset()
	var out []int32
	p.trackMu.Lock()
	defer p.trackMu.Unlock()
	for _, id := range st.ISR {
		if id == p.nodeID {
			continue
		}
		if f := p.followers[id]; f == nil || !f.caughtUp(leo, nowMs, p.m.set.lagMs) {
			out = append(out, id)
		}
	}
	return out
}

// maybeShrinkISR proposes dropping followers that have not caught up for
// replica.lag.time.max.ms (Kafka's maybeShrinkIsr). Until the controller
// commits it the HW still waits for them: shrinking is never optimistic.
func (p *Partition) maybeShrinkISR() {
	p.mu.Lock()
	st := p.state.Load()
	nowMs := p.m.nowMs()
	if st.Leader != p.nodeID || p.pending != nil || p.removed || p.m.opts.AlterPartition == nil || nowMs < p.noProposalUntilMs {
		p.mu.Unlock()
		return
	}
	out := p.outOfSyncLocked(st, nowMs)
	if len(out) == 0 {
		p.mu.Unlock()
		return
	}
	ch := &isrChange{leaderEpoch: st.LeaderEpoch, partitionEpoch: st.PartitionEpoch}
	for _, id := range st.ISR {
		if !slices.Contains(out, id) {
			ch.isr = append(ch.isr, id)
		}
	}
	p.pending = ch
	p.mu.Unlock()
	p.m.logger.Info("proposing ISR shrink", "partition", p.String(), "isr", st.ISR, "new_isr", ch.isr, "out_of_sync", out,
		"leader_end_offset", p.Log.LogEndOffset(), "high_watermark", p.Log.HighWatermark())
	p.m.submitAlter(p, ch)
}

// alterDone handles the answer to ch (Kafka's handleAlterPartitionUpdate
// and handleAlterPartitionError) and reports whether to retry it.
func (p *Partition) alterDone(ch *isrChange, res *metadata.Partition, err error) (retry bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pending != ch || p.removed {
		return false // the image moved the partition on; this answer is stale
	}
	switch alterErrorAction(err) {
	case alterRetry:
		return true
	case alterRevert:
		// The controller surely did not apply it: back to the committed
		// ISR, so the HW stops waiting for a replica that will not join.
		// The next fetch or shrink check proposes again, not before a
		// backoff.
		st := p.state.Load()
		p.pending = nil
		p.maximalISR = st.ISR
		p.noProposalUntilMs = p.m.nowMs() + p.m.set.fetchBackoff.Milliseconds()
		p.maybeIncrementHWLocked(st)
		return false
	case alterWait:
		// Our epochs are stale: stay pending until the image brings the
		// partition's real state (Kafka does the same).
		return false
	}
	st := p.state.Load()
	if res.LeaderEpoch != st.LeaderEpoch || res.PartitionEpoch < st.PartitionEpoch {
		// Kafka stays pending until the image brings the real state.
		p.m.logger.Info("ignoring stale AlterPartition answer", "partition", p.String(), "answer_leader_epoch", res.LeaderEpoch,
			"answer_partition_epoch", res.PartitionEpoch, "leader_epoch", st.LeaderEpoch, "partition_epoch", st.PartitionEpoch)
		return false
	}
	next := *st
	next.ISR, next.PartitionEpoch = slices.Clone(res.ISR), res.PartitionEpoch
	p.m.countISRChange(len(st.ISR), len(next.ISR))
	p.state.Store(&next)
	p.pending = nil
	p.maximalISR = next.ISR
	p.m.logger.Info("ISR committed", "partition", p.String(), "isr", next.ISR, "partition_epoch", next.PartitionEpoch,
		"under_min_isr", len(next.ISR) < p.effectiveMinISR(&next))
	p.maybeIncrementHWLocked(&next)
	p.Log.Notify()
	return false
}

type alterAction int8

const (
	alterApply  alterAction = 0 // committed: apply the answer
	alterRetry  alterAction = 1 // transient (network, no controller): retry
	alterRevert alterAction = 2 // rejected, surely not applied: drop it
	alterWait   alterAction = 3 // our epochs are stale: wait for the image
)

// alterErrorAction classifies an AlterPartition error the way Kafka's
// Partition.handleAlterPartitionError does.
func alterErrorAction(err error) alterAction {
	switch {
	case err == nil:
		return alterApply
	case errors.Is(err, kerr.IneligibleReplica), errors.Is(err, kerr.OperationNotAttempted):
		return alterRevert
	case errors.Is(err, kerr.FencedLeaderEpoch), errors.Is(err, kerr.InvalidUpdateVersion),
		errors.Is(err, kerr.UnknownTopicOrPartition), errors.Is(err, kerr.UnknownTopicID),
		errors.Is(err, kerr.NotLeaderForPartition):
		return alterWait
	}
	return alterRetry
}

// DivergingEpoch is the Fetch-time truncation check (KIP-320, KIP-595's
// DivergingEpoch in Fetch v12+): given the epoch of the fetcher's last
// batch and its fetch offset, it returns where that epoch ends in this log
// when the fetcher's log diverges from it (diverged true, nothing should be
// read). storage.ErrOffsetOutOfRange when the epoch's end is unknown or the
// offset is below the log start.
func (p *Partition) DivergingEpoch(lastFetchedEpoch int32, fetchOffset int64) (storage.EpochEndOffset, bool, error) {
	return divergingEpoch(p.Log, lastFetchedEpoch, fetchOffset)
}

func divergingEpoch(l *storage.Log, lastFetchedEpoch int32, fetchOffset int64) (storage.EpochEndOffset, bool, error) {
	if lastFetchedEpoch < 0 {
		return storage.EpochEndOffset{}, false, nil
	}
	e, ok := l.EndOffsetForEpoch(lastFetchedEpoch)
	if !ok {
		return e, false, fmt.Errorf("%w: end offset of last fetched epoch %d unknown", storage.ErrOffsetOutOfRange, lastFetchedEpoch)
	}
	if lso := l.LogStartOffset(); fetchOffset < lso {
		return e, false, fmt.Errorf("%w: fetch offset %d below log start %d", storage.ErrOffsetOutOfRange, fetchOffset, lso)
	}
	if e.LeaderEpoch < lastFetchedEpoch || e.EndOffset < fetchOffset {
		return e, true, nil
	}
	return e, false, nil
}
