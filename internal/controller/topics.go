package controller

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/strom-project/strom/internal/metadata"
)

const (
	// maxPartitionsPerTopic bounds one CreateTopics/CreatePartitions entry;
	// larger requests are almost certainly mistakes and would make a
	// metadata entry of hundreds of megabytes.
	maxPartitionsPerTopic = 100_000
	// maxRecordsPerRequest bounds the records of one request (Kafka's
	// MAX_RECORDS_PER_USER_OP is 10,000; we allow bigger atomic batches).
	maxRecordsPerRequest = 500_000
)

// CreateTopics creates topics (validateOnly: only validates). Each result's
// Err wraps one of the package's errors with Kafka's message for the client.
// The valid topics of one request are committed as one atomic batch.
func (c *Controller) CreateTopics(ctx context.Context, topics []CreateTopic, validateOnly bool) []CreateTopicResult {
	return c.createTopics(ctx, topics, validateOnly)
}

// CreateInternalTopic creates an internal topic (e.g. __consumer_offsets)
// the same way; ErrTopicExists if it already exists. Whether a topic is
// internal follows from its name (isInternalTopic) on every creation path.
func (c *Controller) CreateInternalTopic(ctx context.Context, t CreateTopic) CreateTopicResult {
	return c.createTopics(ctx, []CreateTopic{t}, false)[0]
}

// isInternalTopic reports whether Kafka treats name as an internal topic
// (Topic.isInternal): the group and transaction coordinators' logs.
func isInternalTopic(name string) bool {
	return name == "__consumer_offsets" || name == "__transaction_state"
}

func (c *Controller) createTopics(ctx context.Context, topics []CreateTopic, validateOnly bool) []CreateTopicResult {
	results := make([]CreateTopicResult, len(topics))
	for i, t := range topics {
		results[i].Name = t.Name
	}
	err := c.do(ctx, func() {
		im, err := c.activeImage(ctx)
		if err != nil {
			setErr(results, err)
			return
		}
		b := topicBatch{c: c, im: im, placer: newPlacer(im), pending: map[string]string{}}
		seen := map[string]int{}
		for _, t := range topics {
			seen[t.Name]++
		}
		var ok []int
		for i, t := range topics {
			if seen[t.Name] > 1 {
				results[i].Err = fmt.Errorf("%w: Duplicate topic name.", ErrInvalidRequest)
				continue
			}
			results[i] = b.add(t)
			if results[i].Err == nil {
				ok = append(ok, i)
			}
		}
		if validateOnly {
			for _, i := range ok {
				results[i].ID = metadata.Uuid{}
			}
			return
		}
		if _, err := c.propose(ctx, b.recs); err != nil {
			for _, i := range ok {
				results[i].ID, results[i].Err = metadata.Uuid{}, err
			}
		}
	})
	if err != nil {
		setErr(results, err)
	}
	return results
}

func setErr(results []CreateTopicResult, err error) {
	for i := range results {
		if results[i].Err == nil {
			results[i].Err = err
		}
	}
}

// topicBatch accumulates the records of one CreateTopics request.
type topicBatch struct {
	c       *Controller
	im      *metadata.Image
	placer  *placer
	pending map[string]string // unifyCollision(name) → name, for this request
	recs    []metadata.Record
}

// add validates t against the image and the request so far and, if valid,
// appends its records. The checks run in Kafka's order.
func (b *topicBatch) add(t CreateTopic) CreateTopicResult {
	res := CreateTopicResult{Name: t.Name, NumPartitions: t.NumPartitions, ReplicationFactor: t.ReplicationFactor}
	fail := func(err error) CreateTopicResult { res.Err = err; return res }
	if err := validateTopicName(t.Name); err != nil {
		return fail(err)
	}
	if b.im.Topics[t.Name] != nil {
		return fail(fmt.Errorf("%w: Topic '%s' already exists.", ErrTopicExists, t.Name))
	}
	if other := collidingTopic(b.im, b.pending, t.Name); other != "" {
		return fail(fmt.Errorf("%w: Topic '%s' collides with existing topic: %s", ErrInvalidTopic, t.Name, other))
	}
	assignments, err := b.assignments(t)
	if err != nil {
		return fail(err)
	}
	if len(b.recs)+len(assignments)+len(t.Configs)+1 > maxRecordsPerRequest {
		return fail(fmt.Errorf("%w: Unable to perform excessively large batch operation.", ErrInvalidRequest))
	}
	for _, k := range slices.Sorted(maps.Keys(t.Configs)) {
		if err := b.c.opts.ValidateTopicConfig(k, t.Configs[k]); err != nil {
			return fail(fmt.Errorf("%w: Invalid value %s for configuration %s: %v", ErrInvalidConfig, t.Configs[k], k, err))
		}
	}
	if v := b.c.opts.ValidateTopicConfigSet; v != nil {
		if err := v(t.Configs); err != nil {
			return fail(fmt.Errorf("%w: %v", ErrInvalidConfig, err))
		}
	}
	id := metadata.RandomUuid()
	for b.im.TopicsByID[id] != nil {
		id = metadata.RandomUuid()
	}
	b.recs = append(b.recs, &metadata.TopicRecord{Name: t.Name, ID: id, Internal: isInternalTopic(t.Name)})
	b.recs = append(b.recs, partitionRecords(b.im, id, 0, assignments)...)
	for _, k := range slices.Sorted(maps.Keys(t.Configs)) {
		v := t.Configs[k]
		b.recs = append(b.recs, &metadata.ConfigRecord{ResourceType: metadata.TopicResource, ResourceName: t.Name, Name: k, Value: &v})
	}
	b.pending[unifyCollision(t.Name)] = t.Name
	res.ID = id
	res.NumPartitions = int32(len(assignments))
	res.ReplicationFactor = int16(len(assignments[0]))
	res.Configs = maps.Clone(t.Configs)
	return res
}

// assignments returns the replica lists of t's partitions, manual or placed.
func (b *topicBatch) assignments(t CreateTopic) ([][]int32, error) {
	if len(t.Assignments) > 0 {
		out, err := b.manualAssignments(t)
		for _, reps := range out {
			b.placer.add(reps)
		}
		return out, err
	}
	n, rf := t.NumPartitions, t.ReplicationFactor
	if n == -1 {
		n = b.c.opts.NumPartitions
	}
	if rf == -1 {
		rf = b.c.opts.DefaultReplicationFactor
	}
	if n <= 0 {
		return nil, fmt.Errorf("%w: Number of partitions was set to an invalid non-positive value.", ErrInvalidPartitions)
	}
	if n > maxPartitionsPerTopic {
		return nil, fmt.Errorf("%w: Number of partitions %d exceeds the maximum of %d per topic.", ErrInvalidPartitions, n, maxPartitionsPerTopic)
	}
	if rf <= 0 {
		return nil, fmt.Errorf("%w: Replication factor must be larger than 0, or -1 to use the default value.", ErrInvalidReplicationFactor)
	}
	return b.placer.place(n, rf)
}

func (b *topicBatch) manualAssignments(t CreateTopic) ([][]int32, error) {
	if t.NumPartitions != -1 {
		return nil, fmt.Errorf("%w: A manual partition assignment was specified, but numPartitions was not set to -1.", ErrInvalidRequest)
	}
	if t.ReplicationFactor != -1 {
		return nil, fmt.Errorf("%w: A manual partition assignment was specified, but replicationFactor was not set to -1.", ErrInvalidRequest)
	}
	if len(t.Assignments) > maxPartitionsPerTopic {
		return nil, fmt.Errorf("%w: Number of partitions %d exceeds the maximum of %d per topic.", ErrInvalidPartitions, len(t.Assignments), maxPartitionsPerTopic)
	}
	out := make([][]int32, len(t.Assignments))
	for p := range out {
		reps, ok := t.Assignments[int32(p)]
		if !ok {
			return nil, fmt.Errorf("%w: Partitions should be numbered 0 to %d; partition %d is missing from the manual assignment.", ErrInvalidReplicaAssignment, len(out)-1, p)
		}
		if err := validateAssignment(b.im, int32(p), reps); err != nil {
			return nil, err
		}
		if p > 0 && len(reps) != len(out[0]) {
			return nil, fmt.Errorf("%w: All partitions in the manual partition assignment must have the same number of replicas.", ErrInvalidReplicaAssignment)
		}
		out[p] = slices.Clone(reps)
	}
	return out, nil
}
