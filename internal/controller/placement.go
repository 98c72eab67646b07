package controller

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/strom-project/strom/internal/metadata"
)

// placeReplicas assigns rf replicas to each of count partitions numbered
// from first: round-robin over the unfenced brokers from a random start, so
// leaders (first replicas) spread evenly. Rack-aware placement comes with
// multi-broker clusters.
func placeReplicas(brokers []int32, first, count int32, rf int16, rng *rand.Rand) ([][]int32, error) {
	if int(rf) > len(brokers) {
		return nil, replicationFactorError(rf, len(brokers))
	}
	start := rng.IntN(len(brokers))
	out := make([][]int32, count)
	for i := range out {
		p := int(first) + i
		reps := make([]int32, rf)
		for r := range reps {
			reps[r] = brokers[(start+p+r)%len(brokers)]
		}
		out[i] = reps
	}
	return out, nil
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
	return nil
}

// partitionRecords builds the records of new partitions: leader = first
// replica, ISR = replicas, epochs 0.
func partitionRecords(id metadata.Uuid, first int32, assignments [][]int32) []metadata.Record {
	recs := make([]metadata.Record, len(assignments))
	for i, reps := range assignments {
		recs[i] = &metadata.PartitionRecord{TopicID: id, Partition: first + int32(i),
			Replicas: reps, ISR: slices.Clone(reps), Leader: reps[0]}
	}
	return recs
}
