package controller

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/strom-project/strom/internal/metadata"
)

func TestAlterPartition(t *testing.T) {
	f := newFixture(t, 5, nil, nil)
	ctx := context.Background()
	f.create(CreateTopic{Name: "solo", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {4}}})
	all := []int32{1, 2, 3, 4, 5}
	tp := f.create(CreateTopic{Name: "t", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: all, 1: all}})
	for _, i := range []int32{0, 1} {
		if r := f.alter("t", i, 1, 2); r.Err != nil || !slices.Equal(r.State.ISR, []int32{1, 2}) || r.State.PartitionEpoch != 1 {
			t.Fatalf("shrink: %+v", r)
		}
	}
	f.hb(3, BrokerHeartbeat{WantFence: true})    // 3: fenced
	f.hb(4, BrokerHeartbeat{WantShutDown: true}) // 4: in controlled shutdown, still leading solo
	if b := f.broker(4); !b.InControlledShutdown || b.Fenced {
		t.Fatalf("broker 4 %+v", b)
	}

	p := f.p("t", 0)
	item := func(mod func(*AlterPartitionItem)) AlterPartitionItem {
		it := AlterPartitionItem{TopicID: tp.ID, Partition: 0, LeaderEpoch: p.LeaderEpoch, PartitionEpoch: p.PartitionEpoch, NewISR: []int32{1, 2, 5}}
		mod(&it)
		return it
	}
	tests := []struct {
		name    string
		broker  int32
		it      AlterPartitionItem
		wantErr error
	}{
		{"unknown topic id", 1, item(func(it *AlterPartitionItem) { it.TopicID = metadata.Uuid{7} }), ErrUnknownTopicID},
		{"unknown partition", 1, item(func(it *AlterPartitionItem) { it.Partition = 2 }), ErrUnknownTopicOrPartition},
		{"negative partition", 1, item(func(it *AlterPartitionItem) { it.Partition = -1 }), ErrUnknownTopicOrPartition},
		{"newer leader epoch", 1, item(func(it *AlterPartitionItem) { it.LeaderEpoch++ }), ErrNotController},
		{"newer partition epoch", 1, item(func(it *AlterPartitionItem) { it.PartitionEpoch++ }), ErrNotController},
		{"older leader epoch", 1, item(func(it *AlterPartitionItem) { it.LeaderEpoch-- }), ErrFencedLeaderEpoch},
		{"not the leader", 2, item(func(*AlterPartitionItem) {}), ErrNotLeaderOrFollower},
		{"older partition epoch", 1, item(func(it *AlterPartitionItem) { it.PartitionEpoch-- }), ErrInvalidUpdateVersion},
		{"leader not in ISR", 1, item(func(it *AlterPartitionItem) { it.NewISR = []int32{2, 5} }), ErrInvalidRequest},
		{"empty ISR", 1, item(func(it *AlterPartitionItem) { it.NewISR = []int32{} }), ErrInvalidRequest},
		{"duplicate member", 1, item(func(it *AlterPartitionItem) { it.NewISR = []int32{1, 2, 2} }), ErrInvalidRequest},
		{"epochs do not match members", 1, item(func(it *AlterPartitionItem) { it.NewISRBrokerEpochs = []int64{-1} }), ErrInvalidRequest},
		{"not a replica", 1, item(func(it *AlterPartitionItem) { it.NewISR = []int32{1, 6} }), ErrIneligibleReplica},
		{"adding a fenced broker", 1, item(func(it *AlterPartitionItem) { it.NewISR = []int32{1, 2, 3} }), ErrIneligibleReplica},
		{"adding a shutting-down broker", 1, item(func(it *AlterPartitionItem) { it.NewISR = []int32{1, 4} }), ErrIneligibleReplica},
		{"adding a restarted broker (KIP-903)", 1, item(func(it *AlterPartitionItem) {
			it.NewISRBrokerEpochs = []int64{-1, -1, f.epochs[5] - 1}
		}), ErrIneligibleReplica},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			offset := f.c.Image().Offset
			res, err := f.c.AlterPartition(ctx, tc.broker, f.epochs[tc.broker], []AlterPartitionItem{tc.it})
			if err != nil {
				t.Fatal(err)
			}
			if !errors.Is(res[0].Err, tc.wantErr) || res[0].State != nil {
				t.Fatalf("got %+v, want %v", res[0], tc.wantErr)
			}
			if f.c.Image().Offset != offset || f.p("t", 0) != p {
				t.Fatal("a failed AlterPartition changed the image")
			}
		})
	}

	t.Run("stale broker epoch", func(t *testing.T) {
		for _, b := range []struct {
			id    int32
			epoch int64
		}{{1, f.epochs[1] - 1}, {9, 1}} {
			if _, err := f.c.AlterPartition(ctx, b.id, b.epoch, []AlterPartitionItem{item(func(*AlterPartitionItem) {})}); !errors.Is(err, ErrStaleBrokerEpoch) {
				t.Fatalf("broker %d epoch %d: %v", b.id, b.epoch, err)
			}
		}
	})
	t.Run("no-op returns the current state", func(t *testing.T) {
		offset := f.c.Image().Offset
		res, err := f.c.AlterPartition(ctx, 1, f.epochs[1], []AlterPartitionItem{item(func(it *AlterPartitionItem) { it.NewISR = []int32{2, 1} })})
		if err != nil || res[0].Err != nil || res[0].State != p || f.c.Image().Offset != offset {
			t.Fatalf("%+v %v", res, err)
		}
	})
	t.Run("batch", func(t *testing.T) {
		offset := f.c.Image().Offset
		p1 := f.p("t", 1)
		res, err := f.c.AlterPartition(ctx, 1, f.epochs[1], []AlterPartitionItem{
			item(func(it *AlterPartitionItem) { it.NewISRBrokerEpochs = []int64{f.epochs[1], -1, f.epochs[5]} }),
			{TopicID: tp.ID, Partition: 1, LeaderEpoch: p1.LeaderEpoch, PartitionEpoch: p1.PartitionEpoch, NewISR: []int32{1}},
			// The same partition again with the epochs it had: stale now.
			item(func(*AlterPartitionItem) {}),
		})
		if err != nil {
			t.Fatal(err)
		}
		if f.c.Image().Offset != offset+1 {
			t.Fatalf("offset %d → %d: not one batch", offset, f.c.Image().Offset)
		}
		if s := res[0].State; res[0].Err != nil || !slices.Equal(s.ISR, []int32{1, 2, 5}) || s.PartitionEpoch != p.PartitionEpoch+1 ||
			s.LeaderEpoch != p.LeaderEpoch || s != f.p("t", 0) {
			t.Fatalf("partition 0: %+v", res[0])
		}
		if s := res[1].State; res[1].Err != nil || !slices.Equal(s.ISR, []int32{1}) || s.PartitionEpoch != p1.PartitionEpoch+1 {
			t.Fatalf("partition 1: %+v", res[1])
		}
		if !errors.Is(res[2].Err, ErrInvalidUpdateVersion) {
			t.Fatalf("repeated partition: %+v", res[2])
		}
	})
}
