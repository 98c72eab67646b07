package controller

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/strom-project/strom/internal/metadata"
)

// restart registers a new incarnation of broker id (fenced) whose
// clean-shutdown file held previousEpoch (-1: none, it crashed).
func (f *fixture) restart(id int32, previousEpoch int64) {
	f.t.Helper()
	inc := metadata.RandomUuid()
	epoch, err := f.c.RegisterBroker(context.Background(), BrokerRegistration{ID: id, IncarnationID: inc, PreviousBrokerEpoch: previousEpoch})
	if err != nil {
		f.t.Fatalf("register %d: %v", id, err)
	}
	f.epochs[id], f.incs[id] = epoch, inc
}

// state is what these tests check of a partition.
type state struct {
	leader            int32
	isr, elr, lastELR []int32
}

func wantState(t *testing.T, step string, p *metadata.Partition, want state) {
	t.Helper()
	got := state{p.Leader, p.ISR, p.ELR, p.LastKnownELR}
	if got.leader != want.leader || !slices.Equal(got.isr, want.isr) || !slices.Equal(got.elr, want.elr) ||
		!slices.Equal(got.lastELR, want.lastELR) {
		t.Fatalf("%s: leader %d ISR %v ELR %v LastKnownELR %v; want leader %d ISR %v ELR %v LastKnownELR %v", step,
			got.leader, got.isr, got.elr, got.lastELR, want.leader, want.isr, want.elr, want.lastELR)
	}
}

func ids(s ...int32) []int32 { return s }

// TestELRLifecycle walks one RF=3, min.insync.replicas=2 partition through
// KIP-966: the ISR shrinks below min ISR and fills the ELR, empties when
// every member is fenced, an unfenced ELR member leads again, an unclean
// restart leaves the ELR and a clean one does not, and the ELR clears once
// the ISR is back at min ISR.
func TestELRLifecycle(t *testing.T) {
	f := newFixture(t, 4, nil, nil)
	f.create(CreateTopic{Name: "t", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {1, 2, 3}},
		Configs: map[string]string{minISRConfig: "2"}})
	p := func() *metadata.Partition { return f.p("t", 0) }

	if r := f.alter("t", 0, 1, 2); r.Err != nil {
		t.Fatal(r.Err)
	}
	wantState(t, "ISR at min ISR", p(), state{1, ids(1, 2), nil, nil})
	if r := f.alter("t", 0, 1); r.Err != nil {
		t.Fatal(r.Err)
	}
	wantState(t, "ISR below min ISR", p(), state{1, ids(1), ids(2), nil})

	f.hb(2, BrokerHeartbeat{WantFence: true}) // a fenced ELR member stays
	f.hb(3, BrokerHeartbeat{WantFence: true})
	wantState(t, "ELR members fenced", p(), state{1, ids(1), ids(2), nil})
	epoch := p().LeaderEpoch
	f.hb(1, BrokerHeartbeat{WantFence: true})
	wantState(t, "every ISR member fenced", p(), state{-1, nil, ids(1, 2), ids(1)})
	if p().LeaderEpoch != epoch+1 {
		t.Fatalf("leader epoch %d, want %d", p().LeaderEpoch, epoch+1)
	}

	// Broker 3 left the ISR while it was at min ISR: it may miss committed
	// records, so it is not eligible.
	f.hb(3, BrokerHeartbeat{})
	wantState(t, "a replica outside the ELR unfenced", p(), state{-1, nil, ids(1, 2), ids(1)})
	f.hb(2, BrokerHeartbeat{})
	wantState(t, "an ELR member unfenced", p(), state{2, ids(2), ids(1), nil})

	// Broker 1 comes back: crashed, it leaves the ELR; a clean restart
	// would have kept it (see TestELRCleanRestart).
	f.restart(1, -1)
	wantState(t, "unclean restart", p(), state{2, ids(2), nil, nil})
	f.hb(1, BrokerHeartbeat{})
	if r := f.alter("t", 0, 2, 1); r.Err != nil {
		t.Fatal(r.Err)
	}
	wantState(t, "back at min ISR", p(), state{2, ids(2, 1), nil, nil})
}

// TestELRCleanRestart: a broker that restarts with its last epoch in its
// clean-shutdown file keeps its ELR place and leads again; with another
// epoch (or none) it leaves the ELR and, while another ELR member may come
// back, is not elected even though it was the last leader.
func TestELRCleanRestart(t *testing.T) {
	for _, tc := range []struct {
		name       string
		clean      bool
		registered state
		unfenced   state
	}{
		{"clean", true, state{-1, nil, ids(1, 2), ids(2)}, state{2, ids(2), ids(1), nil}},
		{"previous epoch mismatch", false, state{-1, nil, ids(1), ids(2)}, state{-1, nil, ids(1), ids(2)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 2, nil, nil)
			f.create(CreateTopic{Name: "t", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {2, 1}},
				Configs: map[string]string{minISRConfig: "2"}})
			f.hb(1, BrokerHeartbeat{WantFence: true})
			f.hb(2, BrokerHeartbeat{WantFence: true})
			wantState(t, "both fenced", f.p("t", 0), state{-1, nil, ids(1, 2), ids(2)})
			prev := f.epochs[2]
			if !tc.clean {
				prev++
			}
			f.restart(2, prev)
			wantState(t, "registered", f.p("t", 0), tc.registered)
			f.hb(2, BrokerHeartbeat{})
			wantState(t, "unfenced", f.p("t", 0), tc.unfenced)
		})
	}
}

// TestELRLastKnownLeader: once every ELR member restarted uncleanly, the
// ISR and ELR are empty and the last known leader is elected when it is
// back, uncleanly (Kafka 4.1's balanced recovery); nobody else is.
func TestELRLastKnownLeader(t *testing.T) {
	f := newFixture(t, 2, nil, nil)
	f.create(CreateTopic{Name: "t", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {1, 2}},
		Configs: map[string]string{minISRConfig: "2"}})
	f.hb(1, BrokerHeartbeat{WantFence: true})
	f.hb(2, BrokerHeartbeat{WantFence: true})
	wantState(t, "both fenced", f.p("t", 0), state{-1, nil, ids(1, 2), ids(2)})
	f.restart(1, -1)
	f.restart(2, -1)
	wantState(t, "both restarted uncleanly", f.p("t", 0), state{-1, nil, nil, ids(2)})
	f.hb(1, BrokerHeartbeat{})
	wantState(t, "not the last leader", f.p("t", 0), state{-1, nil, nil, ids(2)})
	f.hb(2, BrokerHeartbeat{})
	wantState(t, "the last leader", f.p("t", 0), state{2, ids(2), nil, nil})
}

// TestELRUncleanElection: with unclean.leader.election.enable a live
// replica outside the ISR and ELR leads when no ISR or ELR member can, and
// the ELR is cleared; without it the partition stays offline until an
// unclean ElectLeaders does the same.
func TestELRUncleanElection(t *testing.T) {
	f := newFixture(t, 3, nil, nil)
	for _, tc := range []struct{ name, unclean string }{{"u", "true"}, {"c", "false"}} {
		f.create(CreateTopic{Name: tc.name, NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {1, 2, 3}},
			Configs: map[string]string{minISRConfig: "2", uncleanConfig: tc.unclean}})
	}
	f.hb(3, BrokerHeartbeat{WantFence: true}) // leaves at min ISR: not in the ELR
	f.hb(2, BrokerHeartbeat{WantFence: true})
	wantState(t, "u: two fenced", f.p("u", 0), state{1, ids(1), ids(2), nil})
	f.hb(3, BrokerHeartbeat{})
	f.hb(1, BrokerHeartbeat{WantFence: true})
	wantState(t, "u: unclean election", f.p("u", 0), state{3, ids(3), nil, nil})
	wantState(t, "c: offline", f.p("c", 0), state{-1, nil, ids(1, 2), ids(1)})
	res, err := f.c.ElectLeaders(context.Background(), true, []TopicPartition{{"c", 0}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("unclean ElectLeaders: %v %+v", err, res)
	}
	wantState(t, "c: unclean ElectLeaders", f.p("c", 0), state{3, ids(3), nil, nil})
}

// TestMinISRChangeClearsELR: a batch that sets min.insync.replicas of a
// topic clears the ELR and LastKnownELR of that topic's partitions; one
// that sets the cluster default clears every partition's.
func TestMinISRChangeClearsELR(t *testing.T) {
	f := newFixture(t, 2, nil, nil)
	for _, name := range []string{"a", "b"} {
		f.create(CreateTopic{Name: name, NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {1, 2}},
			Configs: map[string]string{minISRConfig: "2"}})
	}
	f.hb(2, BrokerHeartbeat{WantFence: true})
	f.hb(1, BrokerHeartbeat{WantFence: true})
	for _, name := range []string{"a", "b"} {
		wantState(t, name+" offline", f.p(name, 0), state{-1, nil, ids(1, 2), ids(1)})
	}
	setConfig := func(res metadata.ConfigResource, value string) {
		t.Helper()
		var err error
		if doErr := f.c.do(context.Background(), func() {
			_, err = f.c.propose(context.Background(), []metadata.Record{&metadata.ConfigRecord{
				ResourceType: res.Type, ResourceName: res.Name, Name: minISRConfig, Value: &value}})
		}); doErr != nil || err != nil {
			t.Fatal(doErr, err)
		}
	}
	setConfig(metadata.ConfigResource{Type: metadata.TopicResource, Name: "a"}, "2") // unchanged: still clears
	wantState(t, "a after its min ISR was set", f.p("a", 0), state{-1, nil, nil, nil})
	wantState(t, "b untouched", f.p("b", 0), state{-1, nil, ids(1, 2), ids(1)})
	// With nothing in the ELR the partition stays offline for a clean
	// election.
	f.hb(2, BrokerHeartbeat{})
	wantState(t, "a: no ELR member to elect", f.p("a", 0), state{-1, nil, nil, nil})
	wantState(t, "b: ELR member elected", f.p("b", 0), state{2, ids(2), ids(1), nil})
	setConfig(metadata.ConfigResource{Type: metadata.BrokerResource}, "1")
	wantState(t, "b after the cluster default changed", f.p("b", 0), state{2, ids(2), nil, nil})
}

// TestReassignDisallowReplicationFactorChange: AlterPartitionReassignments
// v1 with AllowReplicationFactorChange=false refuses a target of another
// length with Kafka's message, comparing with a reassignment in progress.
func TestReassignDisallowReplicationFactorChange(t *testing.T) {
	f := newFixture(t, 4, nil, nil)
	f.create(CreateTopic{Name: "t", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {1, 2}}})
	reassign := func(to []int32) error {
		res, err := f.c.AlterPartitionReassignments(context.Background(),
			[]Reassignment{{Topic: "t", Partition: 0, Replicas: to, DisallowReplicationFactorChange: true}})
		if err != nil {
			t.Fatal(err)
		}
		return res[0].Err
	}
	err := reassign([]int32{1, 2, 3})
	if !errors.Is(err, ErrInvalidReplicationFactor) || ErrorMessage(err) != "The replication factor is changed from 2 to 3" {
		t.Fatalf("got %v (%q)", err, ErrorMessage(err))
	}
	if err := reassign([]int32{3, 4}); err != nil { // same factor, in progress: replicas [3 4 1 2]
		t.Fatal(err)
	}
	if err := reassign([]int32{4}); !errors.Is(err, ErrInvalidReplicationFactor) || ErrorMessage(err) != "The replication factor is changed from 2 to 1" {
		t.Fatalf("against the target in progress: %v", err)
	}
	if err := reassign([]int32{2, 4}); err != nil {
		t.Fatal(err)
	}
}
