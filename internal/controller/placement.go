package controller

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/strom-project/strom/internal/metadata"
)

// placer assigns replicas to new partitions. It places them only on usable
// brokers (unfenced, not in controlled shutdown), and like Kafka's
// rack-aware placement never puts two replicas of a partition on one rack
// while a rack without one has a usable broker. Unlike Kafka's striped
// placer it is load-aware rather than random: every choice goes to the
// broker with the least load (counted over the whole image and the
// request so far), so leaders (first replicas) stay balanced across brokers
// over any sequence of topics, and a new broker catches up.
//
//	leader   = usable broker with the fewest leaderships, then fewest replicas, then lowest id
//	follower = among brokers on a rack not used by this partition yet (if any
//	           remain, else all others): fewest replicas, then fewest leaderships, then lowest id
//
// A placer is used by one request on the loop goroutine.
type placer struct {
	usable   []int32 // sorted
	rack     map[int32]string
	leaders  map[int32]int
	replicas map[int32]int
	fenced   bool // some registered broker is not usable
}

func newPlacer(im *metadata.Image) *placer {
	p := &placer{rack: map[int32]string{}, leaders: map[int32]int{}, replicas: map[int32]int{}}
	for _, id := range sortedBrokerIDs(im) {
		b := im.Brokers[id]
		if !b.Active() {
			p.fenced = true
			continue
		}
		p.usable = append(p.usable, id)
		if b.Rack != nil {
			// Brokers without a rack share the rack "" (as in Kafka).
			p.rack[id] = *b.Rack
		}
	}
	for _, t := range im.Topics {
		for _, part := range t.Partitions {
			p.add(part.Replicas)
		}
	}
	return p
}

func (p *placer) add(replicas []int32) {
	if len(replicas) > 0 {
		p.leaders[replicas[0]]++
	}
	for _, r := range replicas {
		p.replicas[r]++
	}
}

// place returns the replica lists of count new partitions with rf replicas
// each, and counts them as placed.
func (p *placer) place(count int32, rf int16) ([][]int32, error) {
	if len(p.usable) == 0 && p.fenced {
		return nil, fmt.Errorf("%w: Unable to replicate the partition %d time(s): All brokers are currently fenced.", ErrInvalidReplicationFactor, rf)
	}
	if int(rf) > len(p.usable) {
		return nil, replicationFactorError(rf, len(p.usable))
	}
	out := make([][]int32, count)
	for i := range out {
		reps := []int32{p.best(nil, p.leaderOrder)}
		racks := map[string]bool{p.rack[reps[0]]: true}
		for len(reps) < int(rf) {
			r := p.best(func(b int32) bool { return !slices.Contains(reps, b) && !racks[p.rack[b]] }, p.followerOrder)
			if r < 0 {
				r = p.best(func(b int32) bool { return !slices.Contains(reps, b) }, p.followerOrder)
			}
			reps = append(reps, r)
			racks[p.rack[r]] = true
		}
		p.add(reps)
		out[i] = reps
	}
	return out, nil
}

func (p *placer) leaderOrder(a, b int32) int {
	return cmp.Or(cmp.Compare(p.leaders[a], p.leaders[b]), cmp.Compare(p.replicas[a], p.replicas[b]), cmp.Compare(a, b))
}

func (p *placer) followerOrder(a, b int32) int {
	return cmp.Or(cmp.Compare(p.replicas[a], p.replicas[b]), cmp.Compare(p.leaders[a], p.leaders[b]), cmp.Compare(a, b))
}

// best returns the usable broker allowed by ok (nil: all) that is least in
// order, or -1.
func (p *placer) best(ok func(int32) bool, order func(a, b int32) int) int32 {
	best := int32(-1)
	for _, b := range p.usable {
		if (ok == nil || ok(b)) && (best < 0 || order(b, best) < 0) {
			best = b
		}
	}
	return best
}

func replicationFactorError(rf int16, brokers int) error {
	return fmt.Errorf("%w: Unable to replicate the partition %d time(s): The target replication factor of %d cannot be reached because only %d broker(s) are registered.",
		ErrInvalidReplicationFactor, rf, rf, brokers)
}

// validateAssignment checks one manual replica list.
func validateAssignment(im *metadata.Image, partition int32, replicas []int32) error {
	if len(replicas) == 0 {
		return fmt.Errorf("%w: The manual partition assignment includes an empty replica list.", ErrInvalidReplicaAssignment)
	}
	seen := make(map[int32]bool, len(replicas))
	for _, b := range replicas {
		if seen[b] {
			return fmt.Errorf("%w: The manual partition assignment includes the broker %d more than once.", ErrInvalidReplicaAssignment, b)
		}
		seen[b] = true
		if im.Brokers[b] == nil {
			return fmt.Errorf("%w: The manual partition assignment includes broker %d, but no such broker is registered.", ErrInvalidReplicaAssignment, b)
		}
	}
	if !slices.ContainsFunc(replicas, func(b int32) bool { return eligible(im, b) }) {
		return fmt.Errorf("%w: All brokers specified in the manual partition assignment for partition %d are fenced or in controlled shutdown.",
			ErrInvalidReplicaAssignment, partition)
	}
	return nil
}

// partitionRecords builds the records of new partitions: every replica
// starts empty, so the ISR is every eligible replica (all of them, for
// placed partitions) and the leader the first of those; epochs 0.
func partitionRecords(im *metadata.Image, id metadata.Uuid, first int32, assignments [][]int32) []metadata.Record {
	recs := make([]metadata.Record, len(assignments))
	for i, reps := range assignments {
		isr := slices.DeleteFunc(slices.Clone(reps), func(b int32) bool { return !eligible(im, b) })
		recs[i] = &metadata.PartitionRecord{TopicID: id, Partition: first + int32(i),
			Replicas: slices.Clone(reps), ISR: isr, Leader: isr[0]}
	}
	return recs
}
