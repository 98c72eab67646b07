package testcluster

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/testutil"
)

// TestEligibleLeaderReplicas follows KIP-966 through real sockets: an RF=2,
// min.insync.replicas=2 partition on brokers 4 and 5. Stopping 5 leaves
// the ISR below min ISR, so 5 goes to the ELR; stopping 4, the leader,
// empties the ISR (leader -1, ELR [4 5]). Broker 5 restarting cleanly is
// elected from the ELR and serves every acknowledged record.
// DescribeTopicPartitions shows each step. Five nodes, because every
// testcluster node is a metadata voter: a quorum of three must survive
// the two stopped brokers.
func TestEligibleLeaderReplicas(t *testing.T) {
	c := Start(t, Options{Nodes: 5})
	const topic, n = "elr", 200
	cl := client(t, c)
	waitAllBrokers(t, c, cl)
	ctx, cancel := context.WithTimeout(t.Context(), opTimeout)
	defer cancel()
	req := kmsg.NewPtrCreateTopicsRequest()
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = topic, -1, -1
	ra := kmsg.NewCreateTopicsRequestTopicReplicaAssignment()
	ra.Partition, ra.Replicas = 0, []int32{4, 5}
	rt.ReplicaAssignment = append(rt.ReplicaAssignment, ra)
	cfg := kmsg.NewCreateTopicsRequestTopicConfig()
	cfg.Name, cfg.Value = "min.insync.replicas", new("2")
	rt.Configs = append(rt.Configs, cfg)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err == nil {
		err = kerr.ErrorForCode(resp.Topics[0].ErrorCode)
	}
	if err != nil {
		t.Fatal(err)
	}
	waitELRState(t, c, topic, elrState{leader: 4, isr: []int32{4, 5}})
	produce(t, c, topic, 0, n)

	c.Stop(4) // node.id 5
	waitELRState(t, c, topic, elrState{leader: 4, isr: []int32{4}, elr: []int32{5}})
	c.Stop(3) // node.id 4, the leader: nobody can take over
	waitELRState(t, c, topic, elrState{leader: -1, elr: []int32{4, 5}, lastKnownELR: []int32{4}})

	c.Restart(4)
	waitELRState(t, c, topic, elrState{leader: 5, isr: []int32{5}, elr: []int32{4}})
	// Strict min ISR: with one replica in the ISR the new leader may not
	// move its high watermark, and it may have stopped before it heard the
	// old leader's (a follower learns it on its next fetch). Once 4 is
	// back in the ISR every acknowledged record is readable again.
	c.Restart(3)
	readBack(t, c, topic, n)
}

// TestReassignRefusesReplicationFactorChange: AlterPartitionReassignments
// v1 with AllowReplicationFactorChange=false fails with
// INVALID_REPLICATION_FACTOR and Kafka's message when the target has
// another length; v1 with the flag set (and v0) still moves it.
func TestReassignRefusesReplicationFactorChange(t *testing.T) {
	c := Start(t, Options{Nodes: 3})
	createAssigned(t, c, "rf", []int32{1, 2})
	cl := client(t, c)
	ctx, cancel := context.WithTimeout(t.Context(), opTimeout)
	defer cancel()
	reassign := func(allow bool, replicas ...int32) kmsg.AlterPartitionAssignmentsResponseTopicPartition {
		t.Helper()
		req := kmsg.NewPtrAlterPartitionAssignmentsRequest()
		req.SetVersion(1)
		req.AllowReplicationFactorChange = allow
		rt := kmsg.NewAlterPartitionAssignmentsRequestTopic()
		rt.Topic = "rf"
		rp := kmsg.NewAlterPartitionAssignmentsRequestTopicPartition()
		rp.Partition, rp.Replicas = 0, replicas
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			t.Fatal(err)
		}
		if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
			t.Fatal(err)
		}
		return resp.Topics[0].Partitions[0]
	}
	r := reassign(false, 1, 2, 3)
	if r.ErrorCode != kerr.InvalidReplicationFactor.Code || r.ErrorMessage == nil ||
		*r.ErrorMessage != "The replication factor is changed from 2 to 3" {
		t.Fatalf("got %v %q", kerr.ErrorForCode(r.ErrorCode), deref(r.ErrorMessage))
	}
	if r := reassign(true, 1, 2, 3); r.ErrorCode != 0 {
		t.Fatalf("allowed change: %v %q", kerr.ErrorForCode(r.ErrorCode), deref(r.ErrorMessage))
	}
}

type elrState struct {
	leader                 int32
	isr, elr, lastKnownELR []int32
}

// waitELRState waits until DescribeTopicPartitions, asked of node 1 (never
// stopped here), shows partition 0 of topic in state want.
func waitELRState(t *testing.T, c *Cluster, topic string, want elrState) {
	t.Helper()
	cl := client(t, c, kgo.SeedBrokers(c.Bootstrap()[0]))
	testutil.WaitFor(t, opTimeout, func() error {
		req := kmsg.NewPtrDescribeTopicPartitionsRequest()
		rt := kmsg.NewDescribeTopicPartitionsRequestTopic()
		rt.Topic = topic
		req.Topics = append(req.Topics, rt)
		ctx, cancel := context.WithTimeout(t.Context(), opTimeout)
		defer cancel()
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return err
		}
		if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
			return fmt.Errorf("response %+v", resp.Topics)
		}
		if err := kerr.ErrorForCode(resp.Topics[0].ErrorCode); err != nil {
			return err
		}
		p := resp.Topics[0].Partitions[0]
		got := elrState{p.LeaderID, p.ISR, p.EligibleLeaderReplicas, p.LastKnownELR}
		if got.leader != want.leader || !sameSet(got.isr, want.isr) || !sameSet(got.elr, want.elr) ||
			!slices.Equal(got.lastKnownELR, want.lastKnownELR) && len(got.lastKnownELR)+len(want.lastKnownELR) > 0 {
			return fmt.Errorf("%s-0: leader %d ISR %v ELR %v LastKnownELR %v; want %+v",
				topic, got.leader, got.isr, got.elr, got.lastKnownELR, want)
		}
		return nil
	})
}
