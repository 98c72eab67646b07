package testcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/testutil"
)

// TestReassignPartitions moves partitions with data between brokers with
// kadm (AlterPartitionReassignments, ListPartitionReassignments, KIP-455):
// an RF=1 partition from broker 1 to broker 2 and an RF=2 partition from
// brokers 1,2 to 2,3 (its leader, on 1, must move). Once no reassignment
// is listed, Metadata shows the new replicas, every record reads back from
// the new leaders, and broker 1 has deleted both partitions' logs.
func TestReassignPartitions(t *testing.T) {
	c := Start(t, Options{Nodes: 3})
	const n = 500
	moves := []struct {
		topic    string
		from, to []int32
	}{
		{"reassign-solo", []int32{1}, []int32{2}},
		{"reassign-pair", []int32{1, 2}, []int32{2, 3}},
	}
	for _, m := range moves {
		createAssigned(t, c, m.topic, m.from)
		produce(t, c, m.topic, 0, n)
	}

	adm := kadm.NewClient(client(t, c))
	ctx, cancel := context.WithTimeout(t.Context(), opTimeout)
	defer cancel()
	var req kadm.AlterPartitionAssignmentsReq
	parts := kadm.TopicsSet{}
	for _, m := range moves {
		req.Assign(m.topic, 0, m.to)
		parts.Add(m.topic, 0)
	}
	resp, err := adm.AlterPartitionAssignments(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resp.Sorted() {
		if r.Err != nil {
			t.Fatalf("reassigning %s-%d: %v (%s)", r.Topic, r.Partition, r.Err, r.ErrMessage)
		}
	}

	testutil.WaitFor(t, opTimeout, func() error {
		listed, err := adm.ListPartitionReassignments(ctx, parts)
		if err == nil && len(listed.Sorted()) > 0 {
			err = fmt.Errorf("still reassigning: %+v", listed.Sorted())
		}
		return err
	})
	for _, m := range moves {
		testutil.WaitFor(t, opTimeout, func() error {
			md, err := adm.Metadata(ctx, m.topic)
			if err != nil {
				return err
			}
			p := md.Topics[m.topic].Partitions[0]
			if !slices.Equal(p.Replicas, m.to) || !slices.Contains(m.to, p.Leader) || !sameSet(p.ISR, m.to) {
				return fmt.Errorf("%s-0: replicas %v, ISR %v, leader %d; want replicas %v", m.topic, p.Replicas, p.ISR, p.Leader, m.to)
			}
			return nil
		})
		readBack(t, c, m.topic, n)
		// The old broker (node 1) deleted its log; the new ones have one.
		testutil.WaitFor(t, opTimeout, func() error {
			for id := int32(1); id <= 3; id++ {
				has, err := hasPartitionDir(c, id, m.topic+"-0")
				if err != nil {
					return err
				}
				if want := slices.Contains(m.to, id); has != want {
					return fmt.Errorf("broker %d has a directory for %s-0: %v, want %v", id, m.topic, has, want)
				}
			}
			return nil
		})
	}

	// Nothing is listed for all topics either (null topics).
	list := kmsg.NewPtrListPartitionReassignmentsRequest()
	lresp, err := list.RequestWith(ctx, client(t, c))
	if err != nil || lresp.ErrorCode != 0 || len(lresp.Topics) != 0 {
		t.Fatalf("list all: %+v %v", lresp, err)
	}
}

// TestReassignPartitionsErrors checks the error codes of
// AlterPartitionReassignments through a broker (forwarded as needed).
func TestReassignPartitionsErrors(t *testing.T) {
	c := Start(t, Options{Nodes: 3})
	createAssigned(t, c, "reassign-errors", []int32{1})
	adm := kadm.NewClient(client(t, c))
	ctx, cancel := context.WithTimeout(t.Context(), opTimeout)
	defer cancel()
	tests := []struct {
		name      string
		topic     string
		partition int32
		replicas  []int32
		want      error
	}{
		{"unknown topic", "nope", 0, []int32{2}, kerr.UnknownTopicOrPartition},
		{"unknown partition", "reassign-errors", 3, []int32{2}, kerr.UnknownTopicOrPartition},
		{"unknown broker", "reassign-errors", 0, []int32{2, 9}, kerr.InvalidReplicaAssignment},
		{"duplicate broker", "reassign-errors", 0, []int32{2, 2}, kerr.InvalidReplicaAssignment},
		{"cancel with none in progress", "reassign-errors", 0, nil, kerr.NoReassignmentInProgress},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var req kadm.AlterPartitionAssignmentsReq
			req.Assign(tc.topic, tc.partition, tc.replicas)
			resp, err := adm.AlterPartitionAssignments(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			r := resp[tc.topic][tc.partition]
			if !errors.Is(r.Err, tc.want) {
				t.Fatalf("got %v (%s), want %v", r.Err, r.ErrMessage, tc.want)
			}
		})
	}
}

// createAssigned creates a one-partition topic on the given replicas.
func createAssigned(t *testing.T, c *Cluster, topic string, replicas []int32) {
	t.Helper()
	cl := client(t, c)
	ctx, cancel := context.WithTimeout(t.Context(), opTimeout)
	defer cancel()
	waitAllBrokers(t, c, cl)
	req := kmsg.NewPtrCreateTopicsRequest()
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = topic, -1, -1
	ra := kmsg.NewCreateTopicsRequestTopicReplicaAssignment()
	ra.Partition, ra.Replicas = 0, replicas
	rt.ReplicaAssignment = append(rt.ReplicaAssignment, ra)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err == nil {
		err = kerr.ErrorForCode(resp.Topics[0].ErrorCode)
	}
	if err != nil {
		t.Fatalf("creating %s on %v: %v", topic, replicas, err)
	}
}

// hasPartitionDir reports whether broker id has a log directory named dir
// (a directory renamed for deletion does not count).
func hasPartitionDir(c *Cluster, id int32, dir string) (bool, error) {
	for _, d := range c.nodes[id-1].cfg.LogDirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			return false, err
		}
		for _, e := range entries {
			if e.Name() == dir {
				return true, nil
			}
			if strings.HasPrefix(e.Name(), dir+".") {
				// Renamed for deletion, removed in the background: not
				// gone yet.
				return true, fmt.Errorf("%s still being deleted", filepath.Join(d, e.Name()))
			}
		}
	}
	return false, nil
}

func sameSet(a, b []int32) bool {
	return len(a) == len(b) && !slices.ContainsFunc(a, func(x int32) bool { return !slices.Contains(b, x) })
}
