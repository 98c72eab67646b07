package controller

import (
	"fmt"
	"slices"

	"github.com/strom-project/strom/internal/metadata"
)

// Leader election, ISR and ELR rules. Every change the controller makes to
// a partition's leader, ISR or ELR on its own initiative (a broker fenced,
// unfenced, shutting down or restarting uncleanly; ElectLeaders;
// rebalancing; a min.insync.replicas change) is decided here and in elr.go,
// by pure functions of an image whose brokers already have their new
// state. They follow Kafka 4.1's PartitionChangeBuilder with
// eligible.leader.replicas.version=1 (KIP-966, eligible leader replicas):
//
//   - A broker is eligible (to lead or to join an ISR) when it is
//     registered, unfenced and not in controlled shutdown (Broker.Active).
//   - Min ISR is the topic's min.insync.replicas capped by the partition's
//     replica count: the bound under which its leader holds the high
//     watermark still (strict min ISR, package replica).
//   - A fenced broker leaves every ISR, even as its last member: the ISR
//     may be empty, and the partition is then offline (leader -1).
//   - ELR. While the ISR is below min ISR no record commits, so a member
//     that leaves it then still holds every committed record. After every
//     change: if the new ISR has at least min ISR members the ELR is empty;
//     otherwise ELR = (old ELR ∪ old ISR) − new ISR − a broker restarting
//     uncleanly, among the replicas. ELR members may be fenced.
//   - Election (the leader fenced or shutting down, an offline partition
//     after an unfence, an unclean ElectLeaders): the first eligible ISR
//     member in replica order; if the ISR is empty, the first eligible ELR
//     member in replica order, which becomes the ISR alone and leaves the
//     ELR; if the ISR and the ELR are both empty, the last known leader if
//     it is eligible (Kafka 4.1's "balanced recovery": an unclean election
//     of the replica most likely to be complete); with unclean election
//     (the topic's unclean.leader.election.enable, or an unclean
//     ElectLeaders) the first eligible replica. An unclean election
//     shrinks the ISR to the leader and clears the ELR; records the leader
//     lacks are lost. Failing all that the partition is offline (-1).
//   - LastKnownELR holds the leader at the moment the ISR became empty,
//     and is cleared once the partition has a leader again.
//   - A broker that registers a new incarnation with a PreviousBrokerEpoch
//     other than its registered epoch (it did not shut down cleanly, so it
//     may have lost records it had acknowledged) leaves every ISR and ELR.
//   - Controlled shutdown (Strom is stricter than Kafka here): the broker
//     leaves ISRs and its leaderships move to eligible ISR members, but
//     where nobody can take over it keeps leading, and its ISR place, until
//     it is fenced; no unclean election (it is alive and has the data).
//   - AlterPartition (the leader's ISR changes) recomputes the ELR but never
//     elects; ElectLeaders preferred moves leadership within the ISR.
//   - Setting or deleting min.insync.replicas of a topic (or the cluster
//     default) clears the ELR and LastKnownELR of its partitions (of all
//     partitions), as Kafka's ClearElrRecord does.
//
// A leader change bumps the leader epoch and every change the partition
// epoch (metadata.Partition.WithChange).

// Topic configs the rules read.
const (
	uncleanConfig = "unclean.leader.election.enable"
	minISRConfig  = "min.insync.replicas"
)

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

// electLeader chooses p's leader given its target isr and elr, and
// reports whether the choice is unclean (see the rules above).
func electLeader(im *metadata.Image, p *metadata.Partition, isr, elr []int32, unclean bool) (int32, bool) {
	valid := func(r int32) bool {
		return (slices.Contains(isr, r) || len(isr) == 0 && slices.Contains(elr, r)) && eligible(im, r)
	}
	if p.Leader >= 0 && valid(p.Leader) {
		return p.Leader, false
	}
	for _, r := range p.Replicas {
		if valid(r) {
			return r, false
		}
	}
	if len(isr) == 0 && len(elr) == 0 && len(p.LastKnownELR) == 1 {
		if last := p.LastKnownELR[0]; slices.Contains(p.Replicas, last) && eligible(im, last) {
			return last, true
		}
	}
	if unclean {
		if l := firstEligible(im, p.Replicas, p.Replicas); l >= 0 {
			return l, true
		}
	}
	return -1, false
}

// decide returns the change that moves p to the target isr under rules r,
// electing a leader if elect (else the leader stays); gone (-1: none) is a
// broker restarting uncleanly, which leaves the ELR too. Nil: no change.
func decide(im *metadata.Image, topicID metadata.Uuid, p *metadata.Partition, isr []int32, r topicRules, elect bool, gone int32) *metadata.PartitionChangeRecord {
	elr := targetELR(p, isr, p.Replicas, r.minISRFor(len(p.Replicas)), gone)
	leader, uncleanElected := p.Leader, false
	if elect {
		leader, uncleanElected = electLeader(im, p, isr, elr, r.unclean)
	}
	// A leader from outside the ISR (an ELR member, or unclean) is the
	// whole new ISR.
	if leader >= 0 && leader != p.Leader && (uncleanElected || !slices.Contains(isr, leader)) {
		isr = []int32{leader}
	}
	return withELR(p, changeTo(topicID, p, leader, isr), r, gone, uncleanElected)
}

// changeTo returns the record that moves p to leader and isr (nil isr:
// unchanged); it may change nothing (see withELR, isNoop).
func changeTo(topicID metadata.Uuid, p *metadata.Partition, leader int32, isr []int32) *metadata.PartitionChangeRecord {
	rec := &metadata.PartitionChangeRecord{TopicID: topicID, Partition: p.Partition, Leader: metadata.NoLeaderChange}
	if leader != p.Leader {
		rec.Leader = leader
	}
	if isr != nil && !slices.Equal(isr, p.ISR) {
		rec.ISR = append([]int32{}, isr...) // non-nil even when empty: empties the ISR
	}
	return rec
}

func without(s []int32, v int32) []int32 {
	return slices.DeleteFunc(slices.Clone(s), func(x int32) bool { return x == v })
}

// fenceChange is the change to p when broker gone is fenced (im already
// shows it fenced): gone leaves the ISR (maybe for the ELR), and if it led
// or nobody did, the partition gets a new leader (or stays offline).
func fenceChange(im *metadata.Image, topicID metadata.Uuid, p *metadata.Partition, gone int32, r topicRules) *metadata.PartitionChangeRecord {
	if p.Leader != gone && !slices.Contains(p.ISR, gone) {
		return nil
	}
	return decide(im, topicID, p, without(p.ISR, gone), r, p.Leader == gone || p.Leader == -1, -1)
}

// shutdownChange is the change to p when broker b is in controlled shutdown
// (im already shows it so): its leadership moves to an eligible ISR member
// and it leaves the ISR (maybe for the ELR). Where nobody can take over, b
// keeps leading (and its ISR place) until it is fenced; the ISR is never
// emptied; no unclean election (b is alive and has the data).
func shutdownChange(im *metadata.Image, topicID metadata.Uuid, p *metadata.Partition, b int32, r topicRules) *metadata.PartitionChangeRecord {
	if p.Leader != b && !slices.Contains(p.ISR, b) {
		return nil
	}
	isr := without(p.ISR, b)
	if len(isr) == 0 {
		return nil
	}
	elect := p.Leader == b || p.Leader == -1
	if p.Leader == b && firstEligible(im, p.Replicas, isr) < 0 {
		return nil // nothing can move
	}
	r.unclean = false
	return decide(im, topicID, p, isr, r, elect, -1)
}

// offlineChange elects a leader for an offline partition (leader -1), e.g.
// after a broker was unfenced; nil if p has a leader or none is eligible.
func offlineChange(im *metadata.Image, topicID metadata.Uuid, p *metadata.Partition, r topicRules) *metadata.PartitionChangeRecord {
	if p.Leader != -1 {
		return nil
	}
	return decide(im, topicID, p, p.ISR, r, true, -1)
}

// preferredChange moves leadership to p's preferred replica (the first),
// which must be an eligible ISR member. The ISR, so the ELR, is unchanged.
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
// an eligible leader gets one, from the ISR (or ELR) if possible, else
// from any eligible replica (whatever the topic's config says).
func uncleanChange(im *metadata.Image, topicID metadata.Uuid, p *metadata.Partition, r topicRules) (*metadata.PartitionChangeRecord, error) {
	if p.Leader != -1 && eligible(im, p.Leader) {
		return nil, fmt.Errorf("%w: Partition %d already has a live leader.", ErrElectionNotNeeded, p.Partition)
	}
	r.unclean = true
	rec := decide(im, topicID, p, p.ISR, r, true, -1)
	if rec == nil || rec.Leader < 0 {
		return nil, fmt.Errorf("%w: No live replica of partition %d can be elected.", ErrEligibleLeadersNotAvailable, p.Partition)
	}
	return rec, nil
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
	rules := c.rulesOf(next)
	return append(recs, partitionChanges(next, func(t *metadata.Topic, p *metadata.Partition) *metadata.PartitionChangeRecord {
		return fenceChange(next, t.ID, p, b.ID, rules(t))
	})...), nil
}

// unfenceRecords unfences broker b and elects leaders for offline
// partitions, which may now have an eligible ISR or ELR member (b).
func (c *Controller) unfenceRecords(im *metadata.Image, b *metadata.Broker) ([]metadata.Record, error) {
	recs := []metadata.Record{&metadata.UnfenceBrokerRecord{ID: b.ID, Epoch: b.Epoch}}
	next, err := scratch(im, recs)
	if err != nil {
		return nil, err
	}
	rules := c.rulesOf(next)
	return append(recs, partitionChanges(next, func(t *metadata.Topic, p *metadata.Partition) *metadata.PartitionChangeRecord {
		return offlineChange(next, t.ID, p, rules(t))
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
