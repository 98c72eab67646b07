package teststrom

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// nodeRequestTimeout bounds one node's answer to a metadata question, so a
// paused or hung node makes the question fail instead of hang.
const nodeRequestTimeout = 2 * time.Second

// PartitionInfo is one partition as the cluster's metadata describes it.
// Replicas and ISR are sorted.
type PartitionInfo struct {
	Leader      int32 // -1 while there is none
	LeaderEpoch int32
	Replicas    []int32
	ISR         []int32
}

func (p PartitionInfo) String() string {
	return fmt.Sprintf("leader %d epoch %d replicas %v isr %v", p.Leader, p.LeaderEpoch, p.Replicas, p.ISR)
}

// InISR reports whether node id is in the ISR.
func (p PartitionInfo) InISR(id int32) bool { return slices.Contains(p.ISR, id) }

// FullyReplicated reports whether every replica is in the ISR.
func (p PartitionInfo) FullyReplicated() bool { return slices.Equal(p.Replicas, p.ISR) }

// Partition returns a partition's leader, epoch, replicas and ISR as every
// running broker describes it in a Metadata response. It is an error while
// the nodes disagree (a change still propagating), when one does not answer,
// or when one reports an error for the partition: poll it until it returns
// what the test waits for.
func (c *Cluster) Partition(ctx context.Context, topic string, partition int32) (PartitionInfo, error) {
	views, err := c.metadata(ctx, topic)
	if err != nil {
		return PartitionInfo{}, err
	}
	var (
		agreed PartitionInfo
		first  int32 = -1
	)
	for _, id := range sortedKeys(views) {
		p, err := partitionOf(views[id], topic, partition)
		if err != nil {
			return PartitionInfo{}, fmt.Errorf("node %d: %w", id, err)
		}
		if first < 0 {
			agreed, first = p, id
			continue
		}
		if p.Leader != agreed.Leader || p.LeaderEpoch != agreed.LeaderEpoch || !slices.Equal(p.ISR, agreed.ISR) || !slices.Equal(p.Replicas, agreed.Replicas) {
			return PartitionInfo{}, fmt.Errorf("%s-%d: node %d says %v, node %d says %v", topic, partition, first, agreed, id, p)
		}
	}
	return agreed, nil
}

func partitionOf(resp *kmsg.MetadataResponse, topic string, partition int32) (PartitionInfo, error) {
	for _, t := range resp.Topics {
		if t.Topic == nil || *t.Topic != topic {
			continue
		}
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			return PartitionInfo{}, fmt.Errorf("topic %s: %w", topic, err)
		}
		for _, p := range t.Partitions {
			if p.Partition != partition {
				continue
			}
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil && !errors.Is(err, kerr.LeaderNotAvailable) {
				return PartitionInfo{}, fmt.Errorf("%s-%d: %w", topic, partition, err)
			}
			info := PartitionInfo{Leader: p.Leader, LeaderEpoch: p.LeaderEpoch,
				Replicas: slices.Sorted(slices.Values(p.Replicas)), ISR: slices.Sorted(slices.Values(p.ISR))}
			return info, nil
		}
		return PartitionInfo{}, fmt.Errorf("topic %s has no partition %d", topic, partition)
	}
	return PartitionInfo{}, fmt.Errorf("topic %s not in the metadata", topic)
}

// LeaderOf returns a partition's leader as every running broker describes it
// (see Partition); an error while there is none.
func (c *Cluster) LeaderOf(ctx context.Context, topic string, partition int32) (int32, error) {
	p, err := c.Partition(ctx, topic, partition)
	if err != nil {
		return -1, err
	}
	if p.Leader < 0 {
		return -1, fmt.Errorf("%s-%d has no leader: %v", topic, partition, p)
	}
	return p.Leader, nil
}

// ActiveController returns the active controller: the metadata quorum's
// leader as every running broker reports it (DescribeQuorum, which brokers
// forward to the active controller). It is an error while the nodes
// disagree, none is elected, or the one named is not running. (Metadata's
// ControllerID is not it: clients are given a live broker that forwards
// admin requests, since they cannot reach a dedicated controller.)
func (c *Cluster) ActiveController(ctx context.Context) (int32, error) {
	seeds := c.admin.SeedBrokers() // in node order: seeded with Bootstrap
	leaders := map[int32][]int32{} // leader → nodes naming it
	var id int32 = -1
	for _, b := range c.Nodes {
		if !b.Running() || !b.IsBroker() {
			continue
		}
		req := kmsg.NewPtrDescribeQuorumRequest()
		rt := kmsg.NewDescribeQuorumRequestTopic()
		rt.Topic = "__cluster_metadata"
		rt.Partitions = append(rt.Partitions, kmsg.NewDescribeQuorumRequestTopicPartition())
		req.Topics = append(req.Topics, rt)
		rctx, cancel := context.WithTimeout(ctx, nodeRequestTimeout)
		resp, err := seeds[b.seed].RetriableRequest(rctx, req)
		cancel()
		if err != nil {
			return -1, fmt.Errorf("node %d (%s): DescribeQuorum: %w", b.id, b.addr, err)
		}
		r := resp.(*kmsg.DescribeQuorumResponse)
		if len(r.Topics) != 1 || len(r.Topics[0].Partitions) != 1 {
			return -1, fmt.Errorf("node %d: DescribeQuorum answered %d topics", b.id, len(r.Topics))
		}
		p := r.Topics[0].Partitions[0]
		if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
			return -1, fmt.Errorf("node %d: DescribeQuorum: %w", b.id, err)
		}
		id = p.LeaderID
		leaders[id] = append(leaders[id], b.id)
	}
	switch b := c.Node(id); {
	case len(leaders) != 1:
		return -1, fmt.Errorf("nodes disagree on the active controller (controller → nodes): %v", leaders)
	case id < 0:
		return -1, errors.New("no active controller elected")
	case b == nil || !b.Running():
		return -1, fmt.Errorf("the nodes name node %d, which is not running, as the active controller", id)
	}
	return id, nil
}

// Brokers returns, for every running broker, the broker ids its Metadata
// response lists, sorted.
func (c *Cluster) Brokers(ctx context.Context) (map[int32][]int32, error) {
	views, err := c.metadata(ctx)
	if err != nil {
		return nil, err
	}
	out := map[int32][]int32{}
	for id, resp := range views {
		ids := []int32{}
		for _, b := range resp.Brokers {
			ids = append(ids, b.NodeID)
		}
		slices.Sort(ids)
		out[id] = ids
	}
	return out, nil
}

// metadata asks every running broker, itself and not through a discovered
// leader, for its metadata of topics (none when empty), concurrently. Every
// running node must answer.
func (c *Cluster) metadata(ctx context.Context, topics ...string) (map[int32]*kmsg.MetadataResponse, error) {
	// One request per node: the client sets the version on the request.
	newReq := func() *kmsg.MetadataRequest {
		req := kmsg.NewPtrMetadataRequest()
		req.Topics = []kmsg.MetadataRequestTopic{} // empty, not null: null means all topics
		for _, t := range topics {
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr(t)
			req.Topics = append(req.Topics, rt)
		}
		return req
	}
	seeds := c.admin.SeedBrokers() // in node order: seeded with Bootstrap
	var (
		mu   sync.Mutex
		out  = map[int32]*kmsg.MetadataResponse{}
		errs []error
		wg   sync.WaitGroup
	)
	for _, b := range c.Nodes {
		if !b.Running() || !b.IsBroker() {
			continue
		}
		wg.Go(func() {
			rctx, cancel := context.WithTimeout(ctx, nodeRequestTimeout)
			defer cancel()
			// Retriable: a connection from before a node's restart fails
			// once, and the retry dials the node again.
			resp, err := seeds[b.seed].RetriableRequest(rctx, newReq())
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("node %d (%s): metadata: %w", b.id, b.addr, err))
				return
			}
			out[b.id] = resp.(*kmsg.MetadataResponse)
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(out) == 0 {
		return nil, errors.New("no node is running")
	}
	return out, nil
}

func sortedKeys[V any](m map[int32]V) []int32 {
	keys := make([]int32, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Settled is nil once every node runs, every partition 0..partitions-1 of
// topic has a leader and every broker in its ISR, and the nodes name one
// live controller; poll it after a fault is healed.
func (c *Cluster) Settled(ctx context.Context, topic string, partitions int32) error {
	if r := c.Running(); len(r) != len(c.Nodes) {
		return fmt.Errorf("only nodes %v run", r)
	}
	for p := range partitions {
		info, err := c.Partition(ctx, topic, p)
		if err != nil {
			return err
		}
		if info.Leader < 0 || !info.FullyReplicated() || len(info.ISR) != len(c.BrokerIDs()) {
			return fmt.Errorf("partition %d: %v", p, info)
		}
	}
	_, err := c.ActiveController(ctx)
	return err
}
