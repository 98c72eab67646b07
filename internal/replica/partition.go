package replica

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/storage"
)

// Errors the API layer maps to Kafka codes.
var (
	ErrUnknownTopicOrPartition = errors.New("replica: unknown topic or partition") // UNKNOWN_TOPIC_OR_PARTITION
	ErrNotLeader               = errors.New("replica: not the leader")             // NOT_LEADER_OR_FOLLOWER
	ErrFencedLeaderEpoch       = errors.New("replica: fenced leader epoch")        // FENCED_LEADER_EPOCH
	ErrUnknownLeaderEpoch      = errors.New("replica: unknown leader epoch")       // UNKNOWN_LEADER_EPOCH
	// ErrNotEnoughReplicas: an acks=all write was refused before the append
	// because the ISR is smaller than min.insync.replicas.
	ErrNotEnoughReplicas = errors.New("replica: in-sync replicas fewer than min.insync.replicas") // NOT_ENOUGH_REPLICAS
	// ErrNotEnoughReplicasAfterAppend: the write is in the leader's log but
	// the ISR fell below min.insync.replicas before it was committed.
	ErrNotEnoughReplicasAfterAppend = errors.New("replica: in-sync replicas fell below min.insync.replicas after the append") // NOT_ENOUGH_REPLICAS_AFTER_APPEND
)

// Partition is one partition hosted on this broker, as leader or follower
// (Kafka's Partition).
//
// Concurrency: the log is safe for concurrent use. state is the committed
// placement, replaced atomically under mu's write lock; role changes
// (metadata images, committed ISR changes, new ISR proposals) take the
// write lock, while leader appends, follower appends and follower fetch
// bookkeeping take the read lock — so no write lands in the log across a
// role change. The per-follower positions are guarded by trackMu, so
// fetches from different followers do not need the write lock.
// Lock order: mu → trackMu; mu → Manager.fetchMu → fetcher.mu.
type Partition struct {
	Topic   string
	TopicID metadata.Uuid
	Index   int32
	// Internal marks __consumer_offsets and the like: clients may not
	// produce to them.
	Internal bool
	Log      *storage.Log

	nodeID int32
	m      *Manager

	state  atomic.Pointer[metadata.Partition]
	minISR atomic.Int32 // min.insync.replicas, as configured for the topic

	mu sync.RWMutex
	// Leader only (see leader.go).
	leaderEpochStart  int64               // log end offset when this leader epoch began
	maximalISR        []int32             // committed ISR plus a pending addition (KIP-497)
	pending           *isrChange          // the AlterPartition in flight, if any
	noProposalUntilMs int64               // after a rejected proposal: back off (Unix ms)
	followers         map[int32]*follower // the other replicas
	// Follower only: the fetcher pulling from the leader (fetcher.go).
	fetcher *fetcher
	removed bool // the partition left this broker

	trackMu sync.Mutex // the fields of each *follower
}

// AppendResult is where a leader append went and under which leader
// epoch; pass both to Committed.
type AppendResult struct {
	storage.AppendResult
	LeaderEpoch int32
}

// State is the partition's current placement and leadership: the metadata
// image's, or a newer ISR this leader had committed.
func (p *Partition) State() *metadata.Partition { return p.state.Load() }

// IsLeader reports whether this node leads the partition.
func (p *Partition) IsLeader() bool { return p.state.Load().Leader == p.nodeID }

// CheckEpoch validates a client's current leader epoch (KIP-320): -1 means
// the client does not know it.
func (p *Partition) CheckEpoch(clientEpoch int32) error {
	if clientEpoch < 0 {
		return nil
	}
	e := p.state.Load().LeaderEpoch
	switch {
	case clientEpoch < e:
		return ErrFencedLeaderEpoch
	case clientEpoch > e:
		return ErrUnknownLeaderEpoch
	}
	return nil
}

// effectiveMinISR is Kafka's: min.insync.replicas capped by the number of
// replicas, so a one-replica topic is writable whatever the setting.
func (p *Partition) effectiveMinISR(st *metadata.Partition) int {
	return max(min(int(p.minISR.Load()), len(st.Replicas)), 1)
}

// Append writes one produce partition's batches as leader. With acks=-1 it
// first refuses (ErrNotEnoughReplicas) when the ISR is below
// min.insync.replicas; the records are then committed only once the high
// watermark passes them, which the caller waits for with Committed and
// Log.Wait. With no followers the high watermark moves with the append.
func (p *Partition) Append(records []byte, acks int16) (AppendResult, error) {
	return p.appendAsLeader(records, acks, storage.AppendClient)
}

func (p *Partition) appendAsLeader(records []byte, acks int16, origin storage.AppendOrigin) (AppendResult, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	st := p.state.Load()
	if st.Leader != p.nodeID {
		return AppendResult{LeaderEpoch: st.LeaderEpoch}, ErrNotLeader
	}
	if acks == -1 && len(st.ISR) < p.effectiveMinISR(st) {
		return AppendResult{LeaderEpoch: st.LeaderEpoch}, fmt.Errorf("%w: ISR %v, min.insync.replicas %d", ErrNotEnoughReplicas, st.ISR, p.effectiveMinISR(st))
	}
	res, err := p.Log.Append(records, storage.AppendOptions{LeaderEpoch: st.LeaderEpoch, RequiredAcks: acks, Origin: origin})
	out := AppendResult{AppendResult: res, LeaderEpoch: st.LeaderEpoch}
	if err != nil {
		return out, err
	}
	p.maybeIncrementHWLocked(st)
	return out, nil
}

// Committed reports whether the records below requiredOffset, appended as
// leader in leaderEpoch, are committed (Kafka's
// checkEnoughReplicasReachOffset): done with a nil error once the high
// watermark has passed them; done with ErrNotLeader when leadership moved
// (the records may be truncated); done with
// ErrNotEnoughReplicasAfterAppend when the ISR is below
// min.insync.replicas, since the high watermark does not advance then.
// Otherwise not done: wait on Log.Wait and ask again.
func (p *Partition) Committed(leaderEpoch int32, requiredOffset int64) (bool, error) {
	if p.Log.Closed() {
		return true, ErrNotLeader
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	st := p.state.Load()
	if st.Leader != p.nodeID || st.LeaderEpoch != leaderEpoch || p.removed {
		return true, ErrNotLeader
	}
	enough := len(p.maximalISR) >= p.effectiveMinISR(st)
	switch {
	case !enough:
		return true, fmt.Errorf("%w: ISR %v, min.insync.replicas %d", ErrNotEnoughReplicasAfterAppend, p.maximalISR, p.effectiveMinISR(st))
	case p.Log.HighWatermark() >= requiredOffset:
		return true, nil
	}
	return false, nil
}

// WaitCommitted blocks until Committed is done for the records below
// requiredOffset, ctx ends, or the manager closes.
func (p *Partition) WaitCommitted(ctx context.Context, leaderEpoch int32, requiredOffset int64) error {
	for {
		if done, err := p.Committed(leaderEpoch, requiredOffset); done {
			return err
		}
		ch := p.Log.Wait() // then look again: a change in between still wakes us
		if done, err := p.Committed(leaderEpoch, requiredOffset); done {
			return err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s to commit offset %d: %w", p, requiredOffset-1, ctx.Err())
		case <-p.m.ctx.Done():
			return ErrNotLeader
		}
	}
}

// AppendCoordinator writes the broker's own records (the group
// coordinator's, later the transaction coordinator's) as leader: producer
// sequences are not checked and control batches are allowed. Like an
// acks=all produce it returns only once the records are committed, or
// fails: ErrNotLeader, ErrNotEnoughReplicas(AfterAppend), or a
// context.DeadlineExceeded after offsets.commit.timeout.ms.
func (p *Partition) AppendCoordinator(records []byte) (storage.AppendResult, error) {
	res, err := p.appendAsLeader(records, -1, storage.AppendCoordinator)
	if err != nil {
		return res.AppendResult, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.m.set.commitTimeout)
	defer cancel()
	return res.AppendResult, p.WaitCommitted(ctx, res.LeaderEpoch, res.LastOffset+1)
}

// applyState brings the partition in line with st from the metadata image
// (Kafka's makeLeader / makeFollower). It runs on the metadata goroutine:
// it touches the local disk (the leader-epoch checkpoint) but never the
// network.
func (p *Partition) applyState(st *metadata.Partition, im *metadata.Image) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cur := p.state.Load()
	if cur != nil {
		if st.PartitionEpoch < cur.PartitionEpoch {
			// Older than an ISR change this leader already had committed:
			// the image will catch up.
			return
		}
		if samePartition(cur, st) {
			if st.Leader != p.nodeID {
				p.m.followLocked(p, st, im, false)
			}
			return
		}
	}
	wasLeader := cur != nil && cur.Leader == p.nodeID
	newEpoch := cur == nil || st.LeaderEpoch != cur.LeaderEpoch || st.Leader != cur.Leader
	if p.pending != nil {
		// The state moved under the proposal: its answer no longer applies
		// (usually the image is that answer arriving first).
		if !slices.Equal(p.pending.isr, st.ISR) {
			p.m.logger.Info("dropping in-flight ISR change: partition state moved", "partition", p.String(),
				"proposed", p.pending.isr, "isr", st.ISR, "partition_epoch", st.PartitionEpoch)
		} else if cur != nil {
			p.m.countISRChange(len(cur.ISR), len(st.ISR)) // committed; alterDone will find it stale
		}
		p.pending = nil
	}
	p.noProposalUntilMs = 0
	if st.Leader == p.nodeID {
		p.becomeLeaderLocked(st, wasLeader, newEpoch)
	} else {
		p.becomeFollowerLocked(st, im, wasLeader, newEpoch)
	}
	// Waiting produces re-check: they may have lost leadership or the ISR.
	p.Log.Notify()
}

func samePartition(a, b *metadata.Partition) bool {
	return a.Leader == b.Leader && a.LeaderEpoch == b.LeaderEpoch && a.PartitionEpoch == b.PartitionEpoch &&
		slices.Equal(a.ISR, b.ISR) && slices.Equal(a.Replicas, b.Replicas)
}

// becomeFollowerLocked stops serving writes and (re)starts fetching from
// the leader. The log is not truncated here: the first fetch finds any
// divergence (KIP-320 truncation in Fetch).
func (p *Partition) becomeFollowerLocked(st *metadata.Partition, im *metadata.Image, wasLeader, newEpoch bool) {
	if wasLeader {
		p.m.logger.Info("became follower", "partition", p.String(), "leader", st.Leader, "leader_epoch", st.LeaderEpoch,
			"log_end_offset", p.Log.LogEndOffset(), "high_watermark", p.Log.HighWatermark())
	}
	p.followers, p.maximalISR, p.leaderEpochStart = nil, nil, -1
	p.state.Store(st)
	p.m.followLocked(p, st, im, newEpoch || wasLeader)
}

// remove stops everything for a partition leaving this broker; the caller
// deletes the log.
func (p *Partition) remove() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.removed = true
	p.pending = nil
	p.followers, p.maximalISR = nil, nil
	p.m.unfollowLocked(p)
}

// String is for logs.
func (p *Partition) String() string { return fmt.Sprintf("%s-%d", p.Topic, p.Index) }
