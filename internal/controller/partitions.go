package controller

import (
	"context"
	"fmt"

	"github.com/strom-project/strom/internal/metadata"
)

// CreatePartitions grows topics (validateOnly: only validates). Partitions
// can only be added, never removed. New partitions keep the replication
// factor of partition 0.
func (c *Controller) CreatePartitions(ctx context.Context, reqs []CreatePartitions, validateOnly bool) []CreatePartitionsResult {
	errs := c.batchWrite(ctx, len(reqs), validateOnly, func(im *metadata.Image) itemBuilder {
		pl := newPlacer(im)
		seen := map[string]int{}
		for _, r := range reqs {
			seen[r.Topic]++
		}
		return func(i, pending int) ([]metadata.Record, error) {
			r := reqs[i]
			if seen[r.Topic] > 1 {
				return nil, fmt.Errorf("%w: Duplicate topic name.", ErrInvalidRequest)
			}
			recs, err := growTopic(im, pl, r)
			if err == nil && pending+len(recs) > maxRecordsPerRequest {
				err = fmt.Errorf("%w: Unable to perform excessively large batch operation.", ErrInvalidRequest)
			}
			return recs, err
		}
	})
	results := make([]CreatePartitionsResult, len(reqs))
	for i, r := range reqs {
		results[i] = CreatePartitionsResult{Topic: r.Topic, Err: errs[i]}
	}
	return results
}

func growTopic(im *metadata.Image, pl *placer, r CreatePartitions) ([]metadata.Record, error) {
	t := im.Topics[r.Topic]
	if t == nil {
		return nil, fmt.Errorf("%w: The topic '%s' does not exist.", ErrUnknownTopic, r.Topic)
	}
	cur := int32(len(t.Partitions))
	switch {
	case r.Count < cur:
		return nil, fmt.Errorf("%w: Topic currently has %d partitions, which is higher than the requested %d.", ErrInvalidPartitions, cur, r.Count)
	case r.Count == cur:
		return nil, fmt.Errorf("%w: Topic already has %d partition(s).", ErrInvalidPartitions, cur)
	case r.Count > maxPartitionsPerTopic:
		return nil, fmt.Errorf("%w: Number of partitions %d exceeds the maximum of %d per topic.", ErrInvalidPartitions, r.Count, maxPartitionsPerTopic)
	}
	add := r.Count - cur
	var assignments [][]int32
	if r.Assignments != nil {
		if int32(len(r.Assignments)) != add {
			return nil, fmt.Errorf("%w: Attempted to add %d additional partition(s), but only %d assignment(s) were specified.",
				ErrInvalidReplicaAssignment, add, len(r.Assignments))
		}
		for i, reps := range r.Assignments {
			if err := validateAssignment(im, cur+int32(i), reps); err != nil {
				return nil, err
			}
		}
		assignments = r.Assignments
		for _, reps := range assignments {
			pl.add(reps)
		}
	} else {
		rf := int16(1)
		if cur > 0 {
			rf = int16(len(t.Partitions[0].Replicas))
		}
		var err error
		if assignments, err = pl.place(add, rf); err != nil {
			return nil, err
		}
	}
	return partitionRecords(im, t.ID, cur, assignments), nil
}
