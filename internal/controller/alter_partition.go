package controller

import (
	"context"
	"fmt"
	"slices"

	"github.com/strom-project/strom/internal/metadata"
)

// AlterPartition applies ISR changes requested by partition leaders
// (Kafka's AlterPartition v2+: the leader shrinks the ISR when followers
// fall behind and expands it when they catch up). A broker epoch that is
// not brokerID's current one fails the whole request with
// ErrStaleBrokerEpoch. Each item is then checked against the partition:
//
//	unknown topic id                    ErrUnknownTopicID
//	unknown partition                   ErrUnknownTopicOrPartition
//	leader or partition epoch newer     ErrNotController (this controller is behind)
//	leader epoch older                  ErrFencedLeaderEpoch
//	requester is not the leader         ErrNotLeaderOrFollower
//	partition epoch older               ErrInvalidUpdateVersion
//	ISR empty, duplicated, or without the leader      ErrInvalidRequest
//	ISR not within the replicas, or adding a broker that is fenced, in
//	controlled shutdown, or whose epoch changed (KIP-903)   ErrIneligibleReplica
//
// An ISR with the same members as the current one changes nothing. A change
// also recomputes the ELR (election.go): members leaving an ISR that is (or
// drops) below min ISR join it, and it empties once the ISR is back at min
// ISR. An ISR that holds every replica a reassignment adds completes it
// (reassign.go): the result's State then has the target replicas, and maybe
// a new leader. The accepted changes are committed as one batch; results
// carry the partition's state after it (new ISR and partition epoch).
func (c *Controller) AlterPartition(ctx context.Context, brokerID int32, brokerEpoch int64, items []AlterPartitionItem) ([]AlterPartitionResult, error) {
	var results []AlterPartitionResult
	var opErr error
	if err := c.do(ctx, func() { results, opErr = c.alterPartition(ctx, brokerID, brokerEpoch, items) }); err != nil {
		return nil, err
	}
	return results, opErr
}

func (c *Controller) alterPartition(ctx context.Context, brokerID int32, brokerEpoch int64, items []AlterPartitionItem) ([]AlterPartitionResult, error) {
	im, err := c.activeImage(ctx)
	if err != nil {
		return nil, err
	}
	if b := im.Brokers[brokerID]; b == nil || b.Epoch != brokerEpoch {
		return nil, fmt.Errorf("%w: Broker %d epoch %d is not the registered one.", ErrStaleBrokerEpoch, brokerID, brokerEpoch)
	}
	type key struct {
		topic     metadata.Uuid
		partition int32
	}
	// pending holds the state of partitions changed earlier in this
	// request, so a partition named twice is checked against its new state.
	pending := map[key]*metadata.Partition{}
	results := make([]AlterPartitionResult, len(items))
	var recs []metadata.Record
	var changed []int
	for i, it := range items {
		results[i] = AlterPartitionResult{TopicID: it.TopicID, Partition: it.Partition}
		k := key{it.TopicID, it.Partition}
		p := pending[k]
		if p == nil {
			if p, err = lookupPartition(im, it.TopicID, it.Partition); err != nil {
				results[i].Err = err
				continue
			}
		}
		rec, err := alterISR(im, brokerID, p, it)
		if err != nil {
			results[i].Err = err
			continue
		}
		if rec != nil {
			rec = c.withTopicELR(im, im.TopicsByID[it.TopicID].Name, p, rec)
		}
		if rec == nil {
			results[i].State = p
			continue
		}
		pending[k] = p.WithChange(rec)
		recs = append(recs, rec)
		changed = append(changed, i)
	}
	if len(recs) > 0 {
		if _, err := c.propose(ctx, recs); err != nil {
			return nil, err
		}
		after := c.Image()
		for _, i := range changed {
			results[i].State, _ = lookupPartition(after, items[i].TopicID, items[i].Partition)
		}
	}
	return results, nil
}

func lookupPartition(im *metadata.Image, topicID metadata.Uuid, partition int32) (*metadata.Partition, error) {
	t := im.TopicsByID[topicID]
	if t == nil {
		return nil, fmt.Errorf("%w: This server does not host topic id %s.", ErrUnknownTopicID, topicID)
	}
	if partition < 0 || int(partition) >= len(t.Partitions) {
		return nil, fmt.Errorf("%w: Topic %s has no partition %d.", ErrUnknownTopicOrPartition, t.Name, partition)
	}
	return t.Partitions[partition], nil
}

// alterISR validates one AlterPartition item against p (in Kafka's order)
// and returns its change, nil for a no-op.
func alterISR(im *metadata.Image, brokerID int32, p *metadata.Partition, it AlterPartitionItem) (*metadata.PartitionChangeRecord, error) {
	switch {
	case it.LeaderEpoch > p.LeaderEpoch || it.PartitionEpoch > p.PartitionEpoch:
		// The leader knows a newer state than ours: we are likely no
		// longer the active controller (Kafka answers NOT_CONTROLLER).
		return nil, fmt.Errorf("%w: partition %d has leader epoch %d and partition epoch %d; the request has %d and %d.",
			ErrNotController, p.Partition, p.LeaderEpoch, p.PartitionEpoch, it.LeaderEpoch, it.PartitionEpoch)
	case it.LeaderEpoch < p.LeaderEpoch:
		return nil, fmt.Errorf("%w: partition %d has leader epoch %d, the request %d.", ErrFencedLeaderEpoch, p.Partition, p.LeaderEpoch, it.LeaderEpoch)
	case brokerID != p.Leader:
		return nil, fmt.Errorf("%w: broker %d is not the leader of partition %d (%d is).", ErrNotLeaderOrFollower, brokerID, p.Partition, p.Leader)
	case it.PartitionEpoch < p.PartitionEpoch:
		return nil, fmt.Errorf("%w: partition %d has partition epoch %d, the request %d.", ErrInvalidUpdateVersion, p.Partition, p.PartitionEpoch, it.PartitionEpoch)
	}
	if err := validateNewISR(im, p, it); err != nil {
		return nil, err
	}
	if sameMembers(it.NewISR, p.ISR) {
		return nil, nil
	}
	rec := &metadata.PartitionChangeRecord{TopicID: it.TopicID, Partition: p.Partition,
		Leader: metadata.NoLeaderChange, ISR: slices.Clone(it.NewISR)}
	// An expansion that brings the last adding replica into the ISR
	// completes a reassignment in the same change (reassign.go).
	return reassignmentCompletion(im, p, rec), nil
}

func validateNewISR(im *metadata.Image, p *metadata.Partition, it AlterPartitionItem) error {
	isr := it.NewISR
	if it.NewISRBrokerEpochs != nil && len(it.NewISRBrokerEpochs) != len(isr) {
		return fmt.Errorf("%w: %d broker epochs for %d ISR members.", ErrInvalidRequest, len(it.NewISRBrokerEpochs), len(isr))
	}
	if !slices.Contains(isr, p.Leader) {
		return fmt.Errorf("%w: The new ISR %v of partition %d does not include the leader %d.", ErrInvalidRequest, isr, p.Partition, p.Leader)
	}
	for i, b := range isr {
		if slices.Contains(isr[:i], b) {
			return fmt.Errorf("%w: The new ISR %v of partition %d names broker %d twice.", ErrInvalidRequest, isr, p.Partition, b)
		}
		if !slices.Contains(p.Replicas, b) {
			return fmt.Errorf("%w: Broker %d is not a replica of partition %d.", ErrIneligibleReplica, b, p.Partition)
		}
		if slices.Contains(p.ISR, b) {
			continue // members may stay whatever their state; only additions are checked
		}
		reg := im.Brokers[b]
		switch {
		case reg == nil || reg.Fenced:
			return fmt.Errorf("%w: Broker %d is fenced.", ErrIneligibleReplica, b)
		case reg.InControlledShutdown:
			return fmt.Errorf("%w: Broker %d is in controlled shutdown.", ErrIneligibleReplica, b)
		case it.NewISRBrokerEpochs != nil && it.NewISRBrokerEpochs[i] != -1 && it.NewISRBrokerEpochs[i] != reg.Epoch:
			return fmt.Errorf("%w: Broker %d has epoch %d, not %d.", ErrIneligibleReplica, b, reg.Epoch, it.NewISRBrokerEpochs[i])
		}
	}
	return nil
}

func sameMembers(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
