package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TopicSpec asks a run to create its topic first if it does not exist.
type TopicSpec struct {
	Create            bool  `json:"create"`
	Partitions        int32 `json:"partitions"`         // -1: broker default
	ReplicationFactor int16 `json:"replication_factor"` // -1: broker default
}

// EnsureTopic creates topic with spec's layout unless it already exists.
// An existing topic is left as it is, whatever its partition count.
func EnsureTopic(ctx context.Context, brokers []string, topic string, spec TopicSpec, extra ...kgo.Opt) error {
	cl, err := kgo.NewClient(baseOptions(brokers, extra, "admin")...)
	if err != nil {
		return fmt.Errorf("admin client: %w", err)
	}
	defer cl.Close()
	_, err = kadm.NewClient(cl).CreateTopic(ctx, spec.Partitions, spec.ReplicationFactor, nil, topic)
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		return fmt.Errorf("create topic %q: %w", topic, err)
	}
	return nil
}

// partitionOffsets is one partition's log start and end at listing time.
type partitionOffsets struct {
	Partition  int32
	Start, End int64
}

// listOffsets returns the partitions of topic, sorted, with their start and
// end offsets.
func listOffsets(ctx context.Context, cl *kgo.Client, topic string) ([]partitionOffsets, error) {
	adm := kadm.NewClient(cl)
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("list end offsets of %q: %w", topic, err)
	}
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("list start offsets of %q: %w", topic, err)
	}
	var out []partitionOffsets
	ends.Each(func(o kadm.ListedOffset) {
		s, _ := starts.Lookup(o.Topic, o.Partition)
		out = append(out, partitionOffsets{Partition: o.Partition, Start: s.Offset, End: o.Offset})
	})
	if len(out) == 0 {
		return nil, fmt.Errorf("topic %q: %w", topic, kerr.UnknownTopicOrPartition)
	}
	slices.SortFunc(out, func(a, b partitionOffsets) int { return int(a.Partition - b.Partition) })
	return out, nil
}

// assign splits partitions round-robin over n consumers (at most one per
// partition), each consuming from the offset chosen by from.
func assign(
	topic string, parts []partitionOffsets, n int, from func(partitionOffsets) kgo.Offset,
) []map[string]map[int32]kgo.Offset {
	n = max(min(n, len(parts)), 1)
	out := make([]map[string]map[int32]kgo.Offset, n)
	for i := range out {
		out[i] = map[string]map[int32]kgo.Offset{topic: {}}
	}
	for i, p := range parts {
		out[i%n][topic][p.Partition] = from(p)
	}
	return out
}

// topicHint adds advice to errors that mean the topic is missing.
func topicHint(err error) error {
	if errors.Is(err, kerr.UnknownTopicOrPartition) {
		return fmt.Errorf("%w (does the topic exist? produce and e2e make it with --create)", err)
	}
	return err
}
