package controller

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/strom-project/strom/internal/metadata"
)

// reassign sends one AlterPartitionReassignments item and returns its error.
func (f *fixture) reassign(topic string, i int32, replicas []int32) error {
	f.t.Helper()
	res, err := f.c.AlterPartitionReassignments(context.Background(), []Reassignment{{Topic: topic, Partition: i, Replicas: replicas}})
	if err != nil {
		f.t.Fatalf("reassign: %v", err)
	}
	return res[0].Err
}

func (f *fixture) listReassignments(parts []TopicPartition) []PartitionReassignment {
	f.t.Helper()
	out, err := f.c.ListPartitionReassignments(context.Background(), parts)
	if err != nil {
		f.t.Fatalf("list reassignments: %v", err)
	}
	return out
}

// placement is the part of a partition a reassignment changes.
type placement struct {
	Replicas, ISR, Adding, Removing []int32
	Leader                          int32
}

func placementOf(p *metadata.Partition) placement {
	return placement{p.Replicas, p.ISR, p.AddingReplicas, p.RemovingReplicas, p.Leader}
}

func wantPlacement(t *testing.T, what string, p *metadata.Partition, want placement) {
	t.Helper()
	if d := cmp.Diff(want, placementOf(p)); d != "" {
		t.Fatalf("%s (-want +got):\n%s", what, d)
	}
}

// TestReassign follows reassignments from the request through the leader's
// ISR expansions to completion, as KIP-455 and Kafka's controller do it.
func TestReassign(t *testing.T) {
	type step struct {
		isr    []int32 // an AlterPartition from the leader, or
		move   []int32 // a new target (nil with cancel: cancel)
		cancel bool
		want   placement
	}
	tests := []struct {
		name    string
		initial []int32
		target  []int32
		started placement
		steps   []step
	}{
		{"RF=1 moves to another broker; the leader moves with it", []int32{1}, []int32{2},
			placement{Replicas: []int32{2, 1}, ISR: []int32{1}, Adding: []int32{2}, Removing: []int32{1}, Leader: 1},
			[]step{{isr: []int32{1, 2}, want: placement{Replicas: []int32{2}, ISR: []int32{2}, Leader: 2}}}},
		{"RF=2 to another pair: the leader leaves a removed replica", []int32{1, 2}, []int32{3, 2},
			placement{Replicas: []int32{3, 2, 1}, ISR: []int32{1, 2}, Adding: []int32{3}, Removing: []int32{1}, Leader: 1},
			[]step{{isr: []int32{1, 2, 3}, want: placement{Replicas: []int32{3, 2}, ISR: []int32{2, 3}, Leader: 3}}}},
		{"the leader stays when it is kept", []int32{1, 2}, []int32{1, 3},
			placement{Replicas: []int32{1, 3, 2}, ISR: []int32{1, 2}, Adding: []int32{3}, Removing: []int32{2}, Leader: 1},
			[]step{{isr: []int32{1, 2, 3}, want: placement{Replicas: []int32{1, 3}, ISR: []int32{1, 3}, Leader: 1}}}},
		{"completes only when every adding replica is in sync", []int32{1}, []int32{2, 3},
			placement{Replicas: []int32{2, 3, 1}, ISR: []int32{1}, Adding: []int32{2, 3}, Removing: []int32{1}, Leader: 1},
			[]step{
				{isr: []int32{1, 2}, want: placement{Replicas: []int32{2, 3, 1}, ISR: []int32{1, 2}, Adding: []int32{2, 3}, Removing: []int32{1}, Leader: 1}},
				{isr: []int32{1, 2, 3}, want: placement{Replicas: []int32{2, 3}, ISR: []int32{2, 3}, Leader: 2}},
			}},
		{"a removal completes at once", []int32{1, 2}, []int32{2},
			placement{Replicas: []int32{2}, ISR: []int32{2}, Leader: 2}, nil},
		{"a reorder completes at once", []int32{1, 2}, []int32{2, 1},
			placement{Replicas: []int32{2, 1}, ISR: []int32{1, 2}, Leader: 1}, nil},
		{"cancel reverts", []int32{1}, []int32{2, 3},
			placement{Replicas: []int32{2, 3, 1}, ISR: []int32{1}, Adding: []int32{2, 3}, Removing: []int32{1}, Leader: 1},
			[]step{
				{isr: []int32{1, 2}, want: placement{Replicas: []int32{2, 3, 1}, ISR: []int32{1, 2}, Adding: []int32{2, 3}, Removing: []int32{1}, Leader: 1}},
				{cancel: true, want: placement{Replicas: []int32{1}, ISR: []int32{1}, Leader: 1}},
			}},
		{"a new target starts over from the original replicas", []int32{1}, []int32{2},
			placement{Replicas: []int32{2, 1}, ISR: []int32{1}, Adding: []int32{2}, Removing: []int32{1}, Leader: 1},
			[]step{
				{isr: nil, move: []int32{3}, want: placement{Replicas: []int32{3, 1}, ISR: []int32{1}, Adding: []int32{3}, Removing: []int32{1}, Leader: 1}},
				{isr: []int32{1, 3}, want: placement{Replicas: []int32{3}, ISR: []int32{3}, Leader: 3}},
			}},
		{"moving back to the original replicas ends the reassignment", []int32{1}, []int32{2},
			placement{Replicas: []int32{2, 1}, ISR: []int32{1}, Adding: []int32{2}, Removing: []int32{1}, Leader: 1},
			[]step{{move: []int32{1}, want: placement{Replicas: []int32{1}, ISR: []int32{1}, Leader: 1}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 3, nil, nil)
			f.create(CreateTopic{Name: "t", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: tc.initial}})
			if err := f.reassign("t", 0, tc.target); err != nil {
				t.Fatal(err)
			}
			wantPlacement(t, "started", f.p("t", 0), tc.started)
			for i, s := range tc.steps {
				switch {
				case s.cancel:
					if err := f.reassign("t", 0, nil); err != nil {
						t.Fatalf("step %d: cancel: %v", i, err)
					}
				case s.move != nil:
					if err := f.reassign("t", 0, s.move); err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
				default:
					if r := f.alter("t", 0, s.isr...); r.Err != nil || r.State != f.p("t", 0) {
						t.Fatalf("step %d: alter partition: %+v", i, r)
					}
				}
				wantPlacement(t, "after step", f.p("t", 0), s.want)
			}
			p := f.p("t", 0)
			listed := f.listReassignments(nil)
			if p.Reassigning() != (len(listed) == 1) {
				t.Fatalf("listed %+v for %+v", listed, p)
			}
		})
	}
}

// TestReassignRemovalWaitsForISR: a removal whose kept replicas are all
// out of sync waits (it never empties the ISR) and completes when one
// rejoins.
func TestReassignRemovalWaitsForISR(t *testing.T) {
	f := newFixture(t, 3, nil, nil)
	f.create(CreateTopic{Name: "t", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {1, 2}}})
	f.alter("t", 0, 1) // 2 fell behind
	if err := f.reassign("t", 0, []int32{2}); err != nil {
		t.Fatal(err)
	}
	wantPlacement(t, "while 2 is out of sync", f.p("t", 0),
		placement{Replicas: []int32{2, 1}, ISR: []int32{1}, Removing: []int32{1}, Leader: 1})
	f.alter("t", 0, 1, 2)
	wantPlacement(t, "once 2 is in sync", f.p("t", 0), placement{Replicas: []int32{2}, ISR: []int32{2}, Leader: 2})
}

// TestReassignLeaderEpochs: completing a reassignment bumps the partition
// epoch once, and the leader epoch only when the leader moves.
func TestReassignLeaderEpochs(t *testing.T) {
	f := newFixture(t, 3, nil, nil)
	f.create(CreateTopic{Name: "t", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {1}}})
	before := f.p("t", 0)
	if err := f.reassign("t", 0, []int32{2}); err != nil {
		t.Fatal(err)
	}
	offset := f.c.Image().Offset
	r := f.alter("t", 0, 1, 2)
	if f.c.Image().Offset != offset+1 {
		t.Fatal("the ISR expansion and the completion are not one batch")
	}
	if s := r.State; s.LeaderEpoch != before.LeaderEpoch+1 || s.PartitionEpoch != before.PartitionEpoch+2 || s.Leader != 2 {
		t.Fatalf("after completion %+v (before %+v)", s, before)
	}
}

func TestReassignErrors(t *testing.T) {
	f := newFixture(t, 4, nil, nil)
	f.create(CreateTopic{Name: "t", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {1, 3}, 1: {1, 2}}})
	f.hb(3, BrokerHeartbeat{WantFence: true})
	f.hb(4, BrokerHeartbeat{WantShutDown: true})
	tests := []struct {
		name    string
		reqs    []Reassignment
		wantErr error
	}{
		{"unknown topic", []Reassignment{{"nope", 0, []int32{2}, false}}, ErrUnknownTopicOrPartition},
		{"unknown partition", []Reassignment{{"t", 2, []int32{2}, false}}, ErrUnknownTopicOrPartition},
		{"negative partition", []Reassignment{{"t", -1, []int32{2}, false}}, ErrUnknownTopicOrPartition},
		{"empty", []Reassignment{{"t", 0, []int32{}, false}}, ErrInvalidReplicaAssignment},
		{"duplicate broker", []Reassignment{{"t", 0, []int32{2, 2}, false}}, ErrInvalidReplicaAssignment},
		{"unknown broker", []Reassignment{{"t", 0, []int32{2, 9}, false}}, ErrInvalidReplicaAssignment},
		{"adding a fenced broker", []Reassignment{{"t", 1, []int32{1, 3}, false}}, ErrInvalidReplicaAssignment},
		{"adding a shutting-down broker", []Reassignment{{"t", 1, []int32{1, 4}, false}}, ErrInvalidReplicaAssignment},
		{"cancel with none in progress", []Reassignment{{"t", 0, nil, false}}, ErrNoReassignmentInProgress},
		{"partition named twice", []Reassignment{{"t", 1, []int32{2}, false}, {"t", 1, []int32{2}, false}}, ErrInvalidRequest},
		{"v1: replication factor change refused", []Reassignment{{"t", 0, []int32{1, 2, 3}, true}}, ErrInvalidReplicationFactor},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			offset := f.c.Image().Offset
			res, err := f.c.AlterPartitionReassignments(context.Background(), tc.reqs)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res {
				if !errors.Is(r.Err, tc.wantErr) {
					t.Fatalf("got %v, want %v", r.Err, tc.wantErr)
				}
			}
			if f.c.Image().Offset != offset {
				t.Fatal("a failed reassignment changed the image")
			}
		})
	}
	t.Run("keeping a fenced replica is allowed", func(t *testing.T) {
		if err := f.reassign("t", 0, []int32{3, 2}); err != nil {
			t.Fatal(err)
		}
		wantPlacement(t, "partition 0", f.p("t", 0),
			placement{Replicas: []int32{3, 2, 1}, ISR: []int32{1}, Adding: []int32{2}, Removing: []int32{1}, Leader: 1})
	})
	t.Run("a request mixes results", func(t *testing.T) {
		res, err := f.c.AlterPartitionReassignments(context.Background(), []Reassignment{{"t", 1, []int32{2, 1}, false}, {"t", 5, []int32{2}, false}})
		if err != nil || res[0].Err != nil || !errors.Is(res[1].Err, ErrUnknownTopicOrPartition) {
			t.Fatalf("%+v %v", res, err)
		}
		wantPlacement(t, "partition 1", f.p("t", 1), placement{Replicas: []int32{2, 1}, ISR: []int32{1, 2}, Leader: 1})
	})
}

func TestListPartitionReassignments(t *testing.T) {
	f := newFixture(t, 3, nil, nil)
	f.create(CreateTopic{Name: "a", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {1}, 1: {1}, 2: {1}}})
	f.create(CreateTopic{Name: "b", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {2}}})
	for _, r := range []struct {
		topic string
		p     int32
		to    []int32
	}{{"b", 0, []int32{3}}, {"a", 2, []int32{2, 3}}, {"a", 0, []int32{1, 2}}} {
		if err := f.reassign(r.topic, r.p, r.to); err != nil {
			t.Fatal(err)
		}
	}
	all := []PartitionReassignment{
		{Topic: "a", Partition: 0, Replicas: []int32{1, 2}, AddingReplicas: []int32{2}},
		{Topic: "a", Partition: 2, Replicas: []int32{2, 3, 1}, AddingReplicas: []int32{2, 3}, RemovingReplicas: []int32{1}},
		{Topic: "b", Partition: 0, Replicas: []int32{3, 2}, AddingReplicas: []int32{3}, RemovingReplicas: []int32{2}},
	}
	tests := []struct {
		name  string
		parts []TopicPartition
		want  []PartitionReassignment
	}{
		{"all", nil, all},
		{"some, sorted, unknown and idle ones left out", []TopicPartition{{"b", 0}, {"a", 1}, {"a", 0}, {"x", 0}, {"a", 9}, {"b", 0}},
			[]PartitionReassignment{all[0], all[2]}},
		{"none", []TopicPartition{}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, f.listReassignments(tc.parts)); d != "" {
				t.Fatalf("(-want +got):\n%s", d)
			}
		})
	}
}
