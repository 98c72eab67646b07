package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/strom-project/strom/internal/metadata"
)

// placementImage registers brokers 1..len(racks) on the given racks ("" =
// no rack), all active except those in fenced.
func placementImage(t *testing.T, racks []string, fenced ...int32) *metadata.Image {
	t.Helper()
	var recs []metadata.Record
	for i, r := range racks {
		id := int32(i + 1)
		rec := &metadata.RegisterBrokerRecord{ID: id, Epoch: 1, Fenced: slices.Contains(fenced, id)}
		if r != "" {
			rec.Rack = new(r)
		}
		recs = append(recs, rec)
	}
	im, err := metadata.NewImage().Apply(1, recs)
	if err != nil {
		t.Fatal(err)
	}
	return im
}

func TestPlacementRacks(t *testing.T) {
	// Racks of unequal size: a, a, a, b, b, c.
	im := placementImage(t, []string{"a", "a", "a", "b", "b", "c"})
	rack := func(b int32) string { return *im.Brokers[b].Rack }
	pl := newPlacer(im)
	for _, rf := range []int16{1, 2, 3, 4, 6} {
		parts, err := pl.place(60, rf)
		if err != nil {
			t.Fatal(err)
		}
		for _, reps := range parts {
			if len(reps) != int(rf) {
				t.Fatalf("rf %d: %v", rf, reps)
			}
			racks := map[string]int{}
			for _, b := range reps {
				racks[rack(b)]++
			}
			// No rack twice while a rack is unused: with 3 racks, the
			// first 3 replicas are on 3 racks.
			if distinct := min(int(rf), 3); len(racks) != distinct {
				t.Fatalf("rf %d: replicas %v on racks %v", rf, reps, racks)
			}
			if len(slices.Compact(slices.Sorted(slices.Values(reps)))) != len(reps) {
				t.Fatalf("duplicate broker in %v", reps)
			}
		}
	}
}

// TestPlacementBalance: leaders spread evenly over brokers, within one
// topic and over a sequence of small topics, and a new broker gets the
// next leaderships.
func TestPlacementBalance(t *testing.T) {
	im := placementImage(t, []string{"", "", "", ""})
	pl := newPlacer(im)
	leaders := map[int32]int{}
	replicas := map[int32]int{}
	for range 10 {
		parts, err := pl.place(2, 3) // ten topics of two partitions
		if err != nil {
			t.Fatal(err)
		}
		for _, reps := range parts {
			leaders[reps[0]]++
			for _, b := range reps {
				replicas[b]++
			}
		}
	}
	for b := int32(1); b <= 4; b++ {
		if leaders[b] != 5 || replicas[b] != 15 {
			t.Fatalf("broker %d leads %d and holds %d (want 5 and 15): %v %v", b, leaders[b], replicas[b], leaders, replicas)
		}
	}
	// Existing load counts: a placer over an image with those partitions
	// gives the next leaderships to a newly added broker 5 first.
	recs := []metadata.Record{&metadata.RegisterBrokerRecord{ID: 5, Epoch: 1}, &metadata.TopicRecord{Name: "x", ID: metadata.Uuid{1}}}
	parts, _ := newPlacer(im).place(4, 1)
	for i, reps := range parts {
		recs = append(recs, &metadata.PartitionRecord{TopicID: metadata.Uuid{1}, Partition: int32(i), Replicas: reps, ISR: reps, Leader: reps[0]})
	}
	im2, err := im.Apply(2, recs)
	if err != nil {
		t.Fatal(err)
	}
	next, _ := newPlacer(im2).place(1, 1)
	if next[0][0] != 5 {
		t.Fatalf("new broker not preferred: %v", next)
	}
}

func TestPlacementErrors(t *testing.T) {
	tests := []struct {
		name   string
		racks  []string
		fenced []int32
		rf     int16
		msg    string
	}{
		{"rf above brokers", []string{"a", "b"}, nil, 3,
			"Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 2 broker(s) are registered."},
		{"fenced brokers do not count", []string{"a", "b", "c"}, []int32{2}, 3,
			"because only 2 broker(s) are registered."},
		{"all fenced", []string{"a", "b"}, []int32{1, 2}, 1, "Unable to replicate the partition 1 time(s): All brokers are currently fenced."},
		{"no brokers", nil, nil, 1, "because only 0 broker(s) are registered."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newPlacer(placementImage(t, tc.racks, tc.fenced...)).place(1, tc.rf)
			if !errors.Is(err, ErrInvalidReplicationFactor) || !strings.Contains(ErrorMessage(err), tc.msg) {
				t.Fatalf("got %v, want %q", err, tc.msg)
			}
		})
	}
	im := placementImage(t, []string{"a", "b", "c"}, 2)
	parts, err := newPlacer(im).place(30, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, reps := range parts {
		if slices.Contains(reps, 2) {
			t.Fatalf("placed on fenced broker 2: %v", reps)
		}
	}
}

// TestCreateTopicsPlacement: CreateTopics and CreatePartitions place over
// unfenced brokers and racks; manual assignments may name fenced brokers,
// which start outside the ISR.
func TestCreateTopicsPlacement(t *testing.T) {
	f := newFixture(t, 4, []string{"a", "a", "b", "b"}, nil)
	ctx := context.Background()
	for i := range 4 {
		f.create(CreateTopic{Name: fmt.Sprint("t", i), NumPartitions: 1, ReplicationFactor: 2})
	}
	leaders := map[int32]bool{}
	for i := range 4 {
		p := f.p(fmt.Sprint("t", i), 0)
		leaders[p.Leader] = true
		if *f.broker(p.Replicas[0]).Rack == *f.broker(p.Replicas[1]).Rack {
			t.Fatalf("both replicas on one rack: %v", p.Replicas)
		}
	}
	if len(leaders) != 4 {
		t.Fatalf("four one-partition topics led by %v", leaders)
	}
	f.hb(4, BrokerHeartbeat{WantFence: true})
	if r := f.c.CreatePartitions(ctx, []CreatePartitions{{Topic: "t0", Count: 9}}, false); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	for _, p := range f.c.Image().Topics["t0"].Partitions[1:] {
		if slices.Contains(p.Replicas, 4) {
			t.Fatalf("new partition on fenced broker: %+v", p)
		}
	}
	tp := f.create(CreateTopic{Name: "m", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {4, 1, 2}}})
	if p := tp.Partitions[0]; p.Leader != 1 || !slices.Equal(p.ISR, []int32{1, 2}) || !slices.Equal(p.Replicas, []int32{4, 1, 2}) {
		t.Fatalf("manual with a fenced broker: %+v", p)
	}
	res := f.c.CreateTopics(ctx, []CreateTopic{{Name: "m2", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {4}}}}, false)
	if !errors.Is(res[0].Err, ErrInvalidReplicaAssignment) || !strings.Contains(ErrorMessage(res[0].Err), "are fenced or in controlled shutdown") {
		t.Fatalf("manual with only fenced brokers: %v", res[0].Err)
	}
}

// TestInternalTopicFromName: the internal flag follows the name on every
// path (a forwarded CreateTopics for __consumer_offsets too).
func TestInternalTopicFromName(t *testing.T) {
	c := start(t, testOptions(t.TempDir()))
	mustCreate(t, c, CreateTopic{Name: "__consumer_offsets", NumPartitions: 1, ReplicationFactor: 1},
		CreateTopic{Name: "__transaction_state", NumPartitions: 1, ReplicationFactor: 1},
		CreateTopic{Name: "__other", NumPartitions: 1, ReplicationFactor: 1})
	im := c.Image()
	if !im.Topics["__consumer_offsets"].Internal || !im.Topics["__transaction_state"].Internal || im.Topics["__other"].Internal {
		t.Fatal("internal flags wrong")
	}
}
