package testcluster

import (
	"fmt"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/testutil"
)

// A broker-only node (process.roles=broker, not a voter) follows the
// metadata log as an observer: it joins with no operator step, leads and
// follows partitions like any broker, shows up as an observer in
// DescribeQuorum, and UnregisterBroker decommissions it.
func TestObserverBroker(t *testing.T) {
	c := Start(t, Options{Nodes: 4, Voters: 3})
	const topic = "observed"
	createAssigned(t, c, topic, []int32{4, 1, 2}) // the observer leads
	produce(t, c, topic, 0, 300)
	readBack(t, c, topic, 300)
	checkQuorum(t, c)
	cl := client(t, c)
	waitQuorumObservers(t, cl, []int32{4})

	// Decommission: stop it, unregister it; it leaves the metadata and
	// the quorum, and its partition keeps being served by the others.
	c.Stop(3)
	req := kmsg.NewPtrUnregisterBrokerRequest()
	req.BrokerID = 4
	resp, err := req.RequestWith(t.Context(), cl)
	if err == nil {
		err = kerr.ErrorForCode(resp.ErrorCode)
	}
	if err != nil {
		t.Fatalf("UnregisterBroker 4: %v", err)
	}
	waitBrokers(t, cl, []int32{1, 2, 3})
	waitQuorumObservers(t, cl, nil)
	readBack(t, c, topic, 300)
	req.BrokerID = 9
	if resp, err := req.RequestWith(t.Context(), cl); err != nil || resp.ErrorCode != kerr.BrokerIDNotRegistered.Code {
		t.Fatalf("UnregisterBroker 9: %v, code %v; want BROKER_ID_NOT_REGISTERED", err, resp)
	}

	// It comes back: registers again and catches up.
	c.Restart(3)
	waitBrokers(t, cl, []int32{1, 2, 3, 4})
	waitQuorumObservers(t, cl, []int32{4})
	produce(t, c, topic, 300, 400)
	readBack(t, c, topic, 400)
}

// Dedicated controllers (process.roles=controller) hold the quorum and
// serve no clients; the brokers are observers. Losing the active
// controller moves the quorum on and the brokers keep serving.
func TestDedicatedControllers(t *testing.T) {
	c := Start(t, Options{Nodes: 5, Voters: 3, DedicatedControllers: true})
	if got := c.Bootstrap(); len(got) != 2 {
		t.Fatalf("bootstrap %v, want the two brokers", got)
	}
	cl := client(t, c)
	waitBrokers(t, cl, []int32{4, 5})
	waitQuorumObservers(t, cl, []int32{4, 5})
	createTopic(t, c, "dedicated", 2, 2)
	produce(t, c, "dedicated", 0, 200)

	active := activeController(t, cl)
	if md, err := kmsg.NewPtrMetadataRequest().RequestWith(t.Context(), cl); err != nil || (md.ControllerID != 4 && md.ControllerID != 5) {
		t.Fatalf("Metadata names controller %v (%v); clients can reach only brokers 4 and 5", md, err)
	}
	if active < 1 || active > 3 {
		t.Fatalf("active controller %d is not a dedicated controller", active)
	}
	c.Stop(int(active - 1))
	testutil.WaitFor(t, opTimeout, func() error {
		if id := activeController(t, cl); id == active || id < 1 {
			return fmt.Errorf("active controller still %d", id)
		}
		return nil
	})
	createTopic(t, c, "after-failover", 2, 2)
	produce(t, c, "dedicated", 200, 300)
	readBack(t, c, "dedicated", 300)
	c.Restart(int(active - 1))
}

// waitBrokers waits until Metadata lists exactly ids.
func waitBrokers(t *testing.T, cl *kgo.Client, ids []int32) {
	t.Helper()
	testutil.WaitFor(t, opTimeout, func() error {
		resp, err := kmsg.NewPtrMetadataRequest().RequestWith(t.Context(), cl)
		if err != nil {
			return err
		}
		var got []int32
		for _, b := range resp.Brokers {
			got = append(got, b.NodeID)
		}
		slices.Sort(got)
		if !slices.Equal(got, ids) {
			return fmt.Errorf("metadata lists brokers %v, want %v", got, ids)
		}
		return nil
	})
}

// waitQuorumObservers waits until DescribeQuorum reports exactly ids as
// observers.
func waitQuorumObservers(t *testing.T, cl *kgo.Client, ids []int32) {
	t.Helper()
	testutil.WaitFor(t, opTimeout, func() error {
		p, err := quorumPartition(t, cl)
		if err != nil {
			return err
		}
		var got []int32
		for _, o := range p.Observers {
			got = append(got, o.ReplicaID)
		}
		slices.Sort(got)
		if !slices.Equal(got, ids) || len(p.CurrentVoters) != 3 {
			return fmt.Errorf("observers %v (voters %d), want %v", got, len(p.CurrentVoters), ids)
		}
		return nil
	})
}

// activeController asks a broker for the metadata quorum's leader (the
// active controller), -1 if it cannot tell; Metadata's ControllerID names
// a broker instead, the one that forwards admin requests.
func activeController(t *testing.T, cl *kgo.Client) int32 {
	t.Helper()
	p, err := quorumPartition(t, cl)
	if err != nil {
		return -1
	}
	return p.LeaderID
}

// quorumPartition is DescribeQuorum's answer for the metadata log.
func quorumPartition(t *testing.T, cl *kgo.Client) (kmsg.DescribeQuorumResponseTopicPartition, error) {
	req := kmsg.NewPtrDescribeQuorumRequest()
	rt := kmsg.NewDescribeQuorumRequestTopic()
	rt.Topic = "__cluster_metadata"
	rt.Partitions = append(rt.Partitions, kmsg.NewDescribeQuorumRequestTopicPartition())
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(t.Context(), cl)
	if err != nil {
		return kmsg.DescribeQuorumResponseTopicPartition{}, err
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		return kmsg.DescribeQuorumResponseTopicPartition{}, fmt.Errorf("DescribeQuorum %+v", resp)
	}
	p := resp.Topics[0].Partitions[0]
	return p, kerr.ErrorForCode(p.ErrorCode)
}
