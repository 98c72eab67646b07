package txn

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/strom-project/strom/internal/controller"
	"github.com/strom-project/strom/internal/coordinator/group"
)

// StateTopic is the internal topic holding transaction state.
const StateTopic = "__transaction_state"

// OffsetsTopic is the group coordinator's topic, which AddOffsetsToTxn
// adds to transactions.
const OffsetsTopic = group.OffsetsTopic

// PartitionFor is Kafka's partitionFor: abs(transactionalId.hashCode())
// mod the partition count (Java's String.hashCode, Kafka's Utils.abs), the
// same placement as groups.
func PartitionFor(id string, numPartitions int32) int32 { return group.PartitionFor(id, numPartitions) }

// Locate returns the node coordinating a transactional id
// (FindCoordinator key type 1), creating __transaction_state on first use.
func (c *Coordinator) Locate(ctx context.Context, id string) (int32, error) {
	t := c.opts.Metadata.Image().Topics[StateTopic]
	if t == nil {
		if err := c.createTopic(ctx); err != nil {
			return -1, err
		}
		if t = c.opts.Metadata.Image().Topics[StateTopic]; t == nil {
			return -1, kerr.CoordinatorNotAvailable
		}
	}
	if len(t.Partitions) == 0 {
		return -1, kerr.CoordinatorNotAvailable
	}
	leader := t.Partitions[PartitionFor(id, int32(len(t.Partitions)))].Leader
	if leader < 0 {
		return -1, kerr.CoordinatorNotAvailable
	}
	return leader, nil
}

// createTopic creates __transaction_state with Kafka's topic configs, the
// replication factor capped at the cluster's size as for
// __consumer_offsets, and min.insync.replicas capped at it.
func (c *Coordinator) createTopic(ctx context.Context) error {
	c.createMu.Lock()
	defer c.createMu.Unlock()
	im := c.opts.Metadata.Image()
	if im.Topics[StateTopic] != nil {
		return nil
	}
	live := len(im.UnfencedBrokers())
	if live == 0 {
		return kerr.CoordinatorNotAvailable
	}
	rf := c.opts.Config.ReplicationFactor
	if n := c.opts.ExpectedBrokers; n > 0 && int(rf) > n {
		c.logger.Warn("transaction.state.log.replication.factor exceeds the cluster's brokers; creating "+StateTopic+" with fewer replicas",
			"transaction.state.log.replication.factor", rf, "brokers", n)
		rf = int16(n)
	}
	if int(rf) > live {
		if c.opts.ExpectedBrokers > 0 {
			return kerr.CoordinatorNotAvailable // not every broker is up yet; clients retry
		}
		rf = int16(live)
	}
	res := c.opts.Metadata.CreateInternalTopic(ctx, controller.CreateTopic{
		Name: StateTopic, NumPartitions: c.opts.Config.NumPartitions, ReplicationFactor: rf,
		Configs: map[string]string{
			"cleanup.policy":                 "compact",
			"compression.type":               "uncompressed",
			"min.insync.replicas":            fmt.Sprint(min(c.opts.Config.MinISR, int(rf))),
			"segment.bytes":                  fmt.Sprint(c.opts.Config.SegmentBytes),
			"unclean.leader.election.enable": "false",
			"preallocate":                    "false", // see __consumer_offsets
		},
	})
	switch {
	case res.Err == nil:
		c.logger.Info("created "+StateTopic, "partitions", res.NumPartitions, "replication.factor", res.ReplicationFactor)
	case errors.Is(res.Err, controller.ErrTopicExists):
	default:
		c.logger.Warn("creating "+StateTopic+" failed", "err", res.Err)
		return kerr.CoordinatorNotAvailable
	}
	return nil
}
