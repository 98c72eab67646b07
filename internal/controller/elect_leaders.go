package controller

import (
	"context"
	"errors"
	"fmt"

	"github.com/strom-project/strom/internal/metadata"
)

// maxRebalancePerBatch bounds the leader moves of one auto-rebalance batch
// (Kafka's controller moves at most 1,000 at a time too); the rest follow
// on the next check.
const maxRebalancePerBatch = 1000

// ElectLeaders is Kafka's ElectLeaders: a preferred election moves
// leadership to each partition's first replica if it is an eligible ISR
// member; an unclean one gives a leader to partitions without an eligible
// one, from any eligible replica if the ISR has none (whatever the topic's
// unclean.leader.election.enable). parts nil means every partition, and then
// partitions that need no election are left out of the results.
// Elections are committed as one batch. The error is for the whole request
// (ErrNotController, a done ctx); per-partition outcomes are in the results.
func (c *Controller) ElectLeaders(ctx context.Context, unclean bool, parts []TopicPartition) ([]ElectLeaderResult, error) {
	var results []ElectLeaderResult
	var opErr error
	if err := c.do(ctx, func() { results, opErr = c.electLeaders(ctx, unclean, parts) }); err != nil {
		return nil, err
	}
	return results, opErr
}

func (c *Controller) electLeaders(ctx context.Context, unclean bool, parts []TopicPartition) ([]ElectLeaderResult, error) {
	im, err := c.activeImage(ctx)
	if err != nil {
		return nil, err
	}
	all := parts == nil
	if all {
		for _, name := range im.SortedTopicNames() {
			for _, p := range im.Topics[name].Partitions {
				parts = append(parts, TopicPartition{name, p.Partition})
			}
		}
	}
	seen := map[TopicPartition]int{}
	for _, tp := range parts {
		seen[tp]++
	}
	var results []ElectLeaderResult
	var recs []metadata.Record
	var elected []int
	for _, tp := range parts {
		res := ElectLeaderResult{Topic: tp.Topic, Partition: tp.Partition}
		rec, err := c.electOne(im, tp, unclean)
		switch {
		case seen[tp] > 1:
			res.Err = fmt.Errorf("%w: Partition %s-%d is named more than once.", ErrInvalidRequest, tp.Topic, tp.Partition)
		case err != nil:
			if all && errors.Is(err, ErrElectionNotNeeded) {
				continue
			}
			res.Err = err
		default:
			recs = append(recs, rec)
			elected = append(elected, len(results))
		}
		results = append(results, res)
	}
	if _, err := c.propose(ctx, recs); err != nil {
		for _, i := range elected {
			results[i].Err = err
		}
	}
	return results, nil
}

func (c *Controller) electOne(im *metadata.Image, tp TopicPartition, unclean bool) (*metadata.PartitionChangeRecord, error) {
	t := im.Topics[tp.Topic]
	if t == nil || tp.Partition < 0 || int(tp.Partition) >= len(t.Partitions) {
		return nil, fmt.Errorf("%w: The partition %s-%d does not exist.", ErrUnknownTopicOrPartition, tp.Topic, tp.Partition)
	}
	p := t.Partitions[tp.Partition]
	if unclean {
		return uncleanChange(im, t.ID, p, c.topicRules(im, t.Name))
	}
	return preferredChange(im, t.ID, p)
}

// maybeRebalance is auto.leader.rebalance.enable: every
// LeaderImbalanceCheckInterval, partitions not led by their preferred
// replica move back to it where it is an eligible ISR member. (Kafka's
// KRaft controller likewise ignores leader.imbalance.per.broker.percentage.)
func (c *Controller) maybeRebalance(ctx context.Context) {
	now := c.opts.Now()
	if !*c.opts.AutoLeaderRebalance || now.Before(c.act.nextRebalance) {
		return
	}
	im := c.Image()
	var recs []metadata.Record
	for _, name := range im.SortedTopicNames() {
		t := im.Topics[name]
		for _, p := range t.Partitions {
			if rec, err := preferredChange(im, t.ID, p); err == nil && len(recs) < maxRebalancePerBatch {
				recs = append(recs, rec)
			}
		}
	}
	if len(recs) < maxRebalancePerBatch {
		c.act.nextRebalance = now.Add(c.opts.LeaderImbalanceCheckInterval)
	}
	if len(recs) == 0 {
		return
	}
	if _, err := c.propose(ctx, recs); err != nil {
		c.log.Warn("could not move leaders back to preferred replicas", "partitions", len(recs), "err", err)
		return
	}
	c.log.Info("moved leaders back to preferred replicas", "partitions", len(recs))
}
