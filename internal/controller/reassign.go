package controller

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/strom-project/strom/internal/metadata"
)

// Partition reassignment (KIP-455), as Kafka's KRaft controller does it
// (ReplicationControlManager, PartitionReassignmentReplicas):
//
//   - Starting a reassignment to target T of a partition whose original
//     replicas are O sets replicas = T followed by O − T, adding = T − O,
//     removing = O − T. The new replicas' brokers open the log and fetch
//     from the leader as followers; the leader adds them to the ISR
//     (AlterPartition) once they have caught up.
//   - The reassignment completes in the decision that makes every adding
//     replica an ISR member (or at once, when nothing is added): replicas =
//     T, ISR = ISR − removing, adding and removing cleared, and if the
//     leader is not in the new ISR the first eligible member of it (in T's
//     order) leads. It waits rather than leave the ISR empty or the
//     partition without an eligible leader.
//   - A new target for a partition being reassigned starts over from O.
//   - Cancelling (a nil target) reverts to O (in replica order): ISR = ISR
//     ∩ O, a new leader from it if the old one is not in O. A cancel that
//     would leave no in-sync replica is refused (Kafka allows it with
//     unclean.leader.election.enable; Strom does not).
//
//   - With DisallowReplicationFactorChange (AlterPartitionReassignments v1,
//     KIP-860, AllowReplicationFactorChange false) a target whose length
//     is not the partition's replication factor (that of the target in
//     progress, if any) fails with INVALID_REPLICATION_FACTOR.
//   - Every change also recomputes the ELR (election.go) against the new
//     replicas and ISR.
//
// Not implemented: replication throttling during reassignment
// (leader/follower.replication.throttled.rate and .replicas).

// ErrNoReassignmentInProgress: a cancel named a partition that is not
// being reassigned (NO_REASSIGNMENT_IN_PROGRESS).
var ErrNoReassignmentInProgress = errors.New("controller: no partition reassignment in progress")

// Reassignment is one partition of an AlterPartitionReassignments request.
type Reassignment struct {
	Topic     string
	Partition int32
	Replicas  []int32 // the target replicas; nil cancels the reassignment in progress
	// DisallowReplicationFactorChange refuses a target that changes the
	// replication factor (v1's AllowReplicationFactorChange=false).
	DisallowReplicationFactorChange bool
}

// ReassignmentResult is the outcome for one partition: nil, or Err wraps
// ErrUnknownTopicOrPartition, ErrInvalidReplicaAssignment,
// ErrInvalidReplicationFactor, ErrNoReassignmentInProgress,
// ErrInvalidRequest or ErrNotController.
type ReassignmentResult struct {
	Topic     string
	Partition int32
	Err       error
}

// PartitionReassignment is a reassignment in progress.
type PartitionReassignment struct {
	Topic            string
	Partition        int32
	Replicas         []int32 // target replicas followed by the ones being removed
	AddingReplicas   []int32
	RemovingReplicas []int32
}

// AlterPartitionReassignments starts, replaces or cancels reassignments.
// The accepted changes are committed as one batch; a reassignment that
// needs nothing added (say [1,2] → [2]) completes in it. The error is for
// the whole request (ErrNotController, a done ctx).
func (c *Controller) AlterPartitionReassignments(ctx context.Context, reqs []Reassignment) ([]ReassignmentResult, error) {
	var results []ReassignmentResult
	var opErr error
	if err := c.do(ctx, func() { results, opErr = c.alterReassignments(ctx, reqs) }); err != nil {
		return nil, err
	}
	return results, opErr
}

func (c *Controller) alterReassignments(ctx context.Context, reqs []Reassignment) ([]ReassignmentResult, error) {
	im, err := c.activeImage(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[TopicPartition]int{}
	for _, r := range reqs {
		seen[TopicPartition{r.Topic, r.Partition}]++
	}
	results := make([]ReassignmentResult, len(reqs))
	var recs []metadata.Record
	var ok []int
	for i, r := range reqs {
		results[i] = ReassignmentResult{Topic: r.Topic, Partition: r.Partition}
		if seen[TopicPartition{r.Topic, r.Partition}] > 1 {
			results[i].Err = fmt.Errorf("%w: Partition %s-%d is named more than once.", ErrInvalidRequest, r.Topic, r.Partition)
			continue
		}
		rec, err := reassignOne(im, r)
		if err != nil {
			results[i].Err = err
			continue
		}
		if rec != nil {
			rec = c.withTopicELR(im, r.Topic, im.Topics[r.Topic].Partitions[r.Partition], rec)
		}
		if rec != nil {
			recs = append(recs, rec)
		}
		ok = append(ok, i)
	}
	if _, err := c.propose(ctx, recs); err != nil {
		for _, i := range ok {
			results[i].Err = err
		}
		return results, nil
	}
	if len(recs) > 0 {
		c.log.Info("partition reassignments changed", "partitions", len(recs))
	}
	return results, nil
}

// reassignOne validates one request against im and returns its change
// (nil: nothing to change, e.g. the target is the current assignment).
func reassignOne(im *metadata.Image, r Reassignment) (*metadata.PartitionChangeRecord, error) {
	t := im.Topics[r.Topic]
	if t == nil || r.Partition < 0 || int(r.Partition) >= len(t.Partitions) {
		return nil, fmt.Errorf("%w: The partition %s-%d does not exist.", ErrUnknownTopicOrPartition, r.Topic, r.Partition)
	}
	p := t.Partitions[r.Partition]
	if r.Replicas == nil {
		if !p.Reassigning() {
			return nil, fmt.Errorf("%w: No reassignment is in progress for partition %s-%d.", ErrNoReassignmentInProgress, r.Topic, r.Partition)
		}
		return revert(im, t.ID, p)
	}
	orig := originalReplicas(p)
	if err := validateTarget(im, r, orig); err != nil {
		return nil, err
	}
	// Kafka compares with the target of a reassignment in progress.
	if rf := len(minus(p.Replicas, p.RemovingReplicas)); r.DisallowReplicationFactorChange && rf != len(r.Replicas) {
		return nil, fmt.Errorf("%w: The replication factor is changed from %d to %d", ErrInvalidReplicationFactor, rf, len(r.Replicas))
	}
	removing := minus(orig, r.Replicas)
	s := partState{
		replicas: append(slices.Clone(r.Replicas), removing...),
		adding:   minus(r.Replicas, orig),
		removing: removing,
		isr:      p.ISR,
		leader:   p.Leader,
	}
	// A replica that was being added and is not in the new target leaves
	// the replicas, and so the ISR.
	s.isr = intersect(s.isr, s.replicas)
	if len(s.isr) == 0 {
		return nil, fmt.Errorf("%w: Partition %s-%d would have no in-sync replica.", ErrInvalidReplicaAssignment, r.Topic, r.Partition)
	}
	if !slices.Contains(s.isr, s.leader) {
		s.leader = firstEligible(im, s.replicas, s.isr)
	}
	return s.complete(im).change(t.ID, p), nil
}

// validateTarget checks a target replica list in Kafka's order: not empty,
// no broker twice, every broker registered, and every broker that is not
// already a replica unfenced and not shutting down (it must start
// fetching).
func validateTarget(im *metadata.Image, r Reassignment, orig []int32) error {
	if len(r.Replicas) == 0 {
		return fmt.Errorf("%w: The replica assignment for partition %s-%d is empty.", ErrInvalidReplicaAssignment, r.Topic, r.Partition)
	}
	for i, b := range r.Replicas {
		switch {
		case slices.Contains(r.Replicas[:i], b):
			return fmt.Errorf("%w: The replica assignment for partition %s-%d includes broker %d more than once.",
				ErrInvalidReplicaAssignment, r.Topic, r.Partition, b)
		case im.Brokers[b] == nil:
			return fmt.Errorf("%w: The replica assignment for partition %s-%d includes broker %d, but no such broker is registered.",
				ErrInvalidReplicaAssignment, r.Topic, r.Partition, b)
		case !slices.Contains(orig, b) && !eligible(im, b):
			return fmt.Errorf("%w: The replica assignment for partition %s-%d includes broker %d, which is fenced or in controlled shutdown.",
				ErrInvalidReplicaAssignment, r.Topic, r.Partition, b)
		}
	}
	return nil
}

// revert cancels p's reassignment: back to the original replicas.
func revert(im *metadata.Image, topicID metadata.Uuid, p *metadata.Partition) (*metadata.PartitionChangeRecord, error) {
	s := partState{replicas: originalReplicas(p), leader: p.Leader}
	s.isr = intersect(p.ISR, s.replicas)
	if len(s.isr) == 0 {
		return nil, fmt.Errorf("%w: Unable to revert the reassignment of partition %d: none of its original replicas %v is in sync.",
			ErrInvalidReplicaAssignment, p.Partition, s.replicas)
	}
	if !slices.Contains(s.isr, s.leader) {
		if s.leader = firstEligible(im, s.replicas, s.isr); s.leader < 0 && p.Leader >= 0 {
			return nil, fmt.Errorf("%w: Unable to revert the reassignment of partition %d: no original replica in sync can lead.",
				ErrInvalidReplicaAssignment, p.Partition)
		}
	}
	return s.change(topicID, p), nil
}

// reassignmentCompletion extends an ISR change of a partition being
// reassigned (AlterPartition) with the completion of the reassignment, when
// the new ISR holds every adding replica.
func reassignmentCompletion(im *metadata.Image, p *metadata.Partition, rec *metadata.PartitionChangeRecord) *metadata.PartitionChangeRecord {
	if !p.Reassigning() {
		return rec
	}
	next := p.WithChange(rec)
	s := partState{replicas: next.Replicas, adding: next.AddingReplicas, removing: next.RemovingReplicas, isr: next.ISR, leader: next.Leader}
	done := s.complete(im)
	if done.reassigning() {
		return rec
	}
	out := done.change(rec.TopicID, p)
	if out == nil {
		return rec
	}
	return out
}

// partState is a partition's placement as the controller plans it.
type partState struct {
	replicas, adding, removing, isr []int32
	leader                          int32
}

func (s partState) reassigning() bool { return len(s.adding) > 0 || len(s.removing) > 0 }

// complete returns s with its reassignment completed if every adding
// replica is in the ISR, the ISR keeps a member outside removing, and the
// partition keeps an eligible leader (or had none); else s unchanged.
func (s partState) complete(im *metadata.Image) partState {
	if !s.reassigning() {
		return s
	}
	isr := minus(s.isr, s.removing)
	if len(isr) == 0 || len(minus(s.adding, isr)) > 0 {
		return s
	}
	replicas := minus(s.replicas, s.removing)
	leader := s.leader
	if !slices.Contains(isr, leader) {
		leader = firstEligible(im, replicas, isr)
		if leader < 0 && s.leader >= 0 {
			return s // wait for a leader among the target replicas
		}
	}
	return partState{replicas: replicas, isr: isr, leader: leader}
}

// change returns the record that moves p to s, nil if that is no change.
func (s partState) change(topicID metadata.Uuid, p *metadata.Partition) *metadata.PartitionChangeRecord {
	rec := &metadata.PartitionChangeRecord{TopicID: topicID, Partition: p.Partition, Leader: metadata.NoLeaderChange}
	changed := false
	if s.leader != p.Leader {
		rec.Leader, changed = s.leader, true
	}
	if !slices.Equal(s.isr, p.ISR) {
		rec.ISR, changed = slices.Clone(s.isr), true
	}
	if !slices.Equal(s.replicas, p.Replicas) {
		rec.Replicas, changed = slices.Clone(s.replicas), true
	}
	// An empty, non-nil list clears the field.
	if !slices.Equal(s.adding, p.AddingReplicas) {
		rec.AddingReplicas, changed = append([]int32{}, s.adding...), true
	}
	if !slices.Equal(s.removing, p.RemovingReplicas) {
		rec.RemovingReplicas, changed = append([]int32{}, s.removing...), true
	}
	if !changed {
		return nil
	}
	return rec
}

// originalReplicas are p's replicas before its reassignment (all of them
// when none is in progress).
func originalReplicas(p *metadata.Partition) []int32 { return minus(p.Replicas, p.AddingReplicas) }

// minus returns the members of a not in b, in a's order.
func minus(a, b []int32) []int32 {
	var out []int32
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// intersect returns the members of a also in b, in a's order.
func intersect(a, b []int32) []int32 {
	var out []int32
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// ListPartitionReassignments returns the reassignments in progress among
// parts (nil: all partitions), by topic and partition. Partitions that do
// not exist or are not being reassigned are left out, as in Kafka.
func (c *Controller) ListPartitionReassignments(ctx context.Context, parts []TopicPartition) ([]PartitionReassignment, error) {
	var out []PartitionReassignment
	var opErr error
	err := c.do(ctx, func() {
		var im *metadata.Image
		if im, opErr = c.activeImage(ctx); opErr == nil {
			out = listReassignments(im, parts)
		}
	})
	if err != nil {
		return nil, err
	}
	return out, opErr
}

func listReassignments(im *metadata.Image, parts []TopicPartition) []PartitionReassignment {
	var out []PartitionReassignment
	add := func(name string, p *metadata.Partition) {
		if p.Reassigning() {
			out = append(out, PartitionReassignment{Topic: name, Partition: p.Partition, Replicas: slices.Clone(p.Replicas),
				AddingReplicas: slices.Clone(p.AddingReplicas), RemovingReplicas: slices.Clone(p.RemovingReplicas)})
		}
	}
	if parts == nil {
		for _, name := range im.SortedTopicNames() {
			for _, p := range im.Topics[name].Partitions {
				add(name, p)
			}
		}
		return out
	}
	seen := map[TopicPartition]bool{}
	for _, tp := range parts {
		t := im.Topics[tp.Topic]
		if t == nil || tp.Partition < 0 || int(tp.Partition) >= len(t.Partitions) || seen[tp] {
			continue
		}
		seen[tp] = true
		add(tp.Topic, t.Partitions[tp.Partition])
	}
	slices.SortFunc(out, func(a, b PartitionReassignment) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return out
}
