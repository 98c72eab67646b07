package controller

import (
	"fmt"
	"slices"
	"strings"

	"github.com/strom-project/strom/internal/metadata"
)

// Leader election and ISR rules. Every change the controller makes to a
// partition's leader or ISR on its own initiative (a broker fenced,
// unfenced or shutting down; ElectLeaders; rebalancing) is decided here, by
// pure functions of an image whose brokers already have their new state.
// They follow Kafka's PartitionChangeBuilder as it was before KIP-966:
//
//   - A broker is eligible (to lead or to be in an ISR) when it is
//     registered, unfenced and not in controlled shutdown (Broker.Active).
//   - A new leader is the first eligible ISR member in replica order.
//   - The ISR never becomes empty. When its last member is fenced it stays
//     in the ISR and the partition goes offline (leader -1); once that
//     broker is unfenced it leads again, with every committed record
//     (KIP-841). KIP-966's eligible leader replicas (ELR), which would let
//     another former ISR member take over safely, are not implemented.
//   - Unclean election (the topic's unclean.leader.election.enable, or an
//     unclean ElectLeaders) is the fallback when no ISR member is eligible:
//     the first eligible replica in replica order leads, the ISR shrinks to
//     it, and records it did not have are lost.
//
// A leader change bumps the leader epoch and every change the partition
// epoch (metadata.Partition.WithChange).

// uncleanConfig is the topic config that allows unclean election.
const uncleanConfig = "unclean.leader.election.enable"

func eligible(im *metadata.Image, id int32) bool { return im.Brokers[id].Active() }

// firstEligible returns the first replica, in replica order, that is in
// among and eligible; -1 if none.
func firstEligible(im *metadata.Image, replicas, among []int32) int32 {
	for _, r := range replicas {
		if slices.Contains(among, r) && eligible(im, r) {
			return r
		}
	}
	return -1
}

// elect chooses a leader for p given its (new) isr: the first eligible ISR
// member; failing that, if unclean, the first eligible replica with the
// ISR shrunk to it; failing that -1 with isr unchanged.
func elect(im *metadata.Image, p *metadata.Partition, isr []int32, unclean bool) (int32, []int32) {
	if l := firstEligible(im, p.Replicas, isr); l >= 0 {
		return l, isr
	}
	if unclean {
		if l := firstEligible(im, p.Replicas, p.Replicas); l >= 0 {
			return l, []int32{l}
		}
	}
	return -1, isr
}

// changeTo returns the record that moves p to leader and isr (nil isr:
// unchanged), or nil if that is no change.
func changeTo(topicID metadata.Uuid, p *metadata.Partition, leader int32, isr []int32) *metadata.PartitionChangeRecord {
	rec := &metadata.PartitionChangeRecord{TopicID: topicID, Partition: p.Partition, Leader: metadata.NoLeaderChange}
	changed := false
	if leader != p.Leader {
		rec.Leader, changed = leader, true
	}
	if isr != nil && !slices.Equal(isr, p.ISR) {
		rec.ISR, changed = slices.Clone(isr), true
	}
	if !changed {
		return nil
	}
	return rec
}

func without(s []int32, v int32) []int32 {
	return slices.DeleteFunc(slices.Clone(s), func(x int32) bool { return x == v })
}

// fenceChange is the change to p when broker gone is fenced (im already
// shows it fenced): gone leaves the ISR unless it is the last member, and
// if it led, the partition gets a new leader (or goes offline).
func fenceChange(im *metadata.Image, topicID metadata.Uuid, p *metadata.Partition, gone int32, unclean bool) *metadata.PartitionChangeRecord {
	if p.Leader != gone && !slices.Contains(p.ISR, gone) {
		return nil
	}
	isr := without(p.ISR, gone)
	if len(isr) == 0 {
		isr = p.ISR // the last member stays: it has every committed record
	}
	leader := p.Leader
	if leader == gone || leader == -1 {
		leader, isr = elect(im, p, isr, unclean)
	}
	return changeTo(topicID, p, leader, isr)
}

// shutdownChange is the change to p when broker b is in controlled shutdown
// (im already shows it so): its leadership moves to an eligible ISR member
// and it leaves the ISR. Where nobody can take over, b keeps leading (and
// its ISR place) until it is fenced; the ISR is never emptied; no unclean
// election (b is alive and has the data).
func shutdownChange(im *metadata.Image, topicID metadata.Uuid, p *metadata.Partition, b int32) *metadata.PartitionChangeRecord {
	if p.Leader != b && !slices.Contains(p.ISR, b) {
		return nil
	}
	isr := without(p.ISR, b)
	if len(isr) == 0 {
		return nil
	}
	leader := p.Leader
	if leader == b || leader == -1 {
		l := firstEligible(im, p.Replicas, isr)
		if l < 0 && leader == b {
			return nil // nothing can move
		}
		leader = l
	}
	return changeTo(topicID, p, leader, isr)
}

// offlineChange elects a leader for an offline partition (leader -1), e.g.
// after a broker was unfenced; nil if p has a leader or none is eligible.
func offlineChange(im *metadata.Image, topicID metadata.Uuid, p *metadata.Partition, unclean bool) *metadata.PartitionChangeRecord {
	if p.Leader != -1 {
		return nil
	}
	leader, isr := elect(im, p, p.ISR, unclean)
	return changeTo(topicID, p, leader, isr)
}

// preferredChange moves leadership to p's preferred replica (the first),
// which must be an eligible ISR member.
func preferredChange(im *metadata.Image, topicID metadata.Uuid, p *metadata.Partition) (*metadata.PartitionChangeRecord, error) {
	pref := p.Replicas[0]
	if p.Leader == pref {
		return nil, fmt.Errorf("%w: Leader is already the preferred replica.", ErrElectionNotNeeded)
	}
	if !slices.Contains(p.ISR, pref) || !eligible(im, pref) {
		return nil, fmt.Errorf("%w: Failed to elect leader for partition %d: preferred replica %d is not in the ISR or not live.",
			ErrPreferredLeaderNotAvailable, p.Partition, pref)
	}
	return changeTo(topicID, p, pref, nil), nil
}

// uncleanChange is an unclean ElectLeaders for p: only a partition without
// an eligible leader gets one, from the ISR if possible, else from any
// eligible replica (whatever the topic's config says).
func uncleanChange(im *metadata.Image, topicID metadata.Uuid, p *metadata.Partition) (*metadata.PartitionChangeRecord, error) {
	if p.Leader != -1 && eligible(im, p.Leader) {
		return nil, fmt.Errorf("%w: Partition %d already has a live leader.", ErrElectionNotNeeded, p.Partition)
	}
	leader, isr := elect(im, p, p.ISR, true)
	if leader < 0 {
		return nil, fmt.Errorf("%w: No live replica of partition %d can be elected.", ErrEligibleLeadersNotAvailable, p.Partition)
	}
	return changeTo(topicID, p, leader, isr), nil
}

// partitionChanges applies fn to every partition of im (topics by name,
// partitions in order: the records are deterministic) and collects the
// changes it returns.
func partitionChanges(im *metadata.Image, fn func(t *metadata.Topic, p *metadata.Partition) *metadata.PartitionChangeRecord) []metadata.Record {
	var recs []metadata.Record
	for _, name := range im.SortedTopicNames() {
		t := im.Topics[name]
		for _, p := range t.Partitions {
			if r := fn(t, p); r != nil {
				recs = append(recs, r)
			}
		}
	}
	return recs
}

// unclean reports whether topic allows unclean leader election.
func (c *Controller) unclean(im *metadata.Image, topic string) bool {
	return strings.EqualFold(strings.TrimSpace(c.opts.TopicConfig(im, topic, uncleanConfig)), "true")
}

// fenceRecords fences broker b and moves its leaderships and ISR places:
// a FenceBrokerRecord (unless b is fenced already) and the partition
// changes, computed against the image with b fenced.
func (c *Controller) fenceRecords(im *metadata.Image, b *metadata.Broker) ([]metadata.Record, error) {
	var recs []metadata.Record
	if !b.Fenced {
		recs = append(recs, &metadata.FenceBrokerRecord{ID: b.ID, Epoch: b.Epoch})
	}
	next, err := scratch(im, recs)
	if err != nil {
		return nil, err
	}
	return append(recs, partitionChanges(next, func(t *metadata.Topic, p *metadata.Partition) *metadata.PartitionChangeRecord {
		return fenceChange(next, t.ID, p, b.ID, c.unclean(next, t.Name))
	})...), nil
}

// unfenceRecords unfences broker b and elects leaders for offline
// partitions, which may now have an eligible ISR member (b).
func (c *Controller) unfenceRecords(im *metadata.Image, b *metadata.Broker) ([]metadata.Record, error) {
	recs := []metadata.Record{&metadata.UnfenceBrokerRecord{ID: b.ID, Epoch: b.Epoch}}
	next, err := scratch(im, recs)
	if err != nil {
		return nil, err
	}
	return append(recs, partitionChanges(next, func(t *metadata.Topic, p *metadata.Partition) *metadata.PartitionChangeRecord {
		return offlineChange(next, t.ID, p, c.unclean(next, t.Name))
	})...), nil
}

// scratch applies broker records to im to compute the partition changes
// that go with them; an error means the controller built a bad record.
func scratch(im *metadata.Image, recs []metadata.Record) (*metadata.Image, error) {
	if len(recs) == 0 {
		return im, nil
	}
	next, err := im.Apply(im.Offset, recs)
	if err != nil {
		return nil, fmt.Errorf("controller: internal error: %w", err)
	}
	return next, nil
}
