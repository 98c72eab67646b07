package group

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf16"

	"github.com/strom-project/strom/internal/controller"
)

// OffsetsTopic is the internal topic holding group metadata and offsets.
const OffsetsTopic = "__consumer_offsets"

// PartitionFor is Kafka's partitionFor: abs(groupId.hashCode()) mod the
// partition count, with Java's String.hashCode over UTF-16 code units and
// Kafka's Utils.abs (x & 0x7fffffff, so MinInt32 maps to 0). Every Kafka
// tool that reads the topic assumes this placement.
func PartitionFor(groupID string, numPartitions int32) int32 {
	var h int32
	for _, u := range utf16.Encode([]rune(groupID)) {
		h = 31*h + int32(u)
	}
	return (h & 0x7fffffff) % numPartitions
}

// Locate returns the node id coordinating groupID (FindCoordinator),
// creating __consumer_offsets on first use, as Kafka does.
func (c *Coordinator) Locate(ctx context.Context, groupID string) (int32, error) {
	t := c.opts.Metadata.Image().Topics[OffsetsTopic]
	if t == nil {
		if err := c.createTopic(ctx); err != nil {
			return -1, err
		}
		if t = c.opts.Metadata.Image().Topics[OffsetsTopic]; t == nil {
			return -1, ErrCoordinatorNotAvailable
		}
	}
	if len(t.Partitions) == 0 {
		return -1, ErrCoordinatorNotAvailable
	}
	leader := t.Partitions[PartitionFor(groupID, int32(len(t.Partitions)))].Leader
	if leader < 0 {
		return -1, ErrCoordinatorNotAvailable
	}
	return leader, nil
}

// createTopic creates __consumer_offsets with Kafka's topic configs. The
// replication factor is capped at the cluster's size (Options.ExpectedBrokers)
// so that a single node or a two-node cluster works out of the box; Kafka
// would refuse until offsets.topic.replication.factor brokers exist.
func (c *Coordinator) createTopic(ctx context.Context) error {
	c.createMu.Lock()
	defer c.createMu.Unlock()
	im := c.opts.Metadata.Image()
	if im.Topics[OffsetsTopic] != nil {
		return nil
	}
	live := len(im.UnfencedBrokers())
	if live == 0 {
		return ErrCoordinatorNotAvailable
	}
	rf := c.opts.Config.ReplicationFactor
	if n := c.opts.ExpectedBrokers; n > 0 && int(rf) > n {
		c.logger.Warn("offsets.topic.replication.factor exceeds the cluster's brokers; creating __consumer_offsets with fewer replicas",
			"offsets.topic.replication.factor", rf, "brokers", n)
		rf = int16(n)
	}
	if int(rf) > live {
		if c.opts.ExpectedBrokers > 0 {
			// Not every broker is up yet: wait rather than create the
			// topic with fewer replicas for good (clients retry).
			return ErrCoordinatorNotAvailable
		}
		rf = int16(live)
	}
	res := c.opts.Metadata.CreateInternalTopic(ctx, controller.CreateTopic{
		Name: OffsetsTopic, NumPartitions: c.opts.Config.NumPartitions, ReplicationFactor: rf,
		Configs: map[string]string{
			"cleanup.policy":   "compact",
			"compression.type": "producer",
			"segment.bytes":    fmt.Sprint(c.opts.Config.SegmentBytes),
			// Kafka's default; set explicitly because Strom's broker
			// default preallocates 16 MiB per segment, a waste on 50
			// mostly idle partitions.
			"preallocate": "false",
		},
	})
	switch {
	case res.Err == nil:
		c.logger.Info("created "+OffsetsTopic, "partitions", res.NumPartitions, "replication.factor", res.ReplicationFactor)
	case errors.Is(res.Err, controller.ErrTopicExists):
	default:
		c.logger.Warn("creating "+OffsetsTopic+" failed", "err", res.Err)
		return ErrCoordinatorNotAvailable
	}
	return nil
}
