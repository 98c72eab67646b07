package controller

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/strom-project/strom/internal/metadata"
)

// displaced sets up three brokers and topic t (3 partitions, RF 3) where
// broker 1 was fenced and came back: the partition it preferred is led by
// another broker and 1 is back in its ISR. It returns that partition.
func displaced(t *testing.T, mod func(*Options)) (*fixture, int32) {
	f := newFixture(t, 3, nil, mod)
	tp := f.create(CreateTopic{Name: "t", NumPartitions: 3, ReplicationFactor: 3})
	i := slices.IndexFunc(tp.Partitions, func(p *metadata.Partition) bool { return p.Replicas[0] == 1 })
	if i < 0 || tp.Partitions[i].Leader != 1 {
		t.Fatalf("no partition led by 1: %+v", tp.Partitions)
	}
	f.hb(1, BrokerHeartbeat{WantFence: true})
	f.hb(1, BrokerHeartbeat{})
	if p := f.p("t", int32(i)); p.Leader == 1 || slices.Contains(p.ISR, 1) {
		t.Fatalf("%+v", p)
	}
	return f, int32(i)
}

func TestElectLeadersPreferred(t *testing.T) {
	f, i := displaced(t, nil)
	ctx := context.Background()
	res, err := f.c.ElectLeaders(ctx, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Every partition led by its preferred replica is left out.
	if len(res) != 1 || res[0].Partition != i || !errors.Is(res[0].Err, ErrPreferredLeaderNotAvailable) {
		t.Fatalf("all partitions, 1 not in the ISR: %+v", res)
	}
	if r := f.alter("t", i, append(slices.Clone(f.p("t", i).ISR), 1)...); r.Err != nil {
		t.Fatal(r.Err)
	}
	before := f.p("t", i)
	other := (i + 1) % 3
	res, err = f.c.ElectLeaders(ctx, false, []TopicPartition{{"t", i}, {"t", other}, {"t", 7}, {"nope", 0}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || !errors.Is(res[1].Err, ErrElectionNotNeeded) ||
		!errors.Is(res[2].Err, ErrUnknownTopicOrPartition) || !errors.Is(res[3].Err, ErrUnknownTopicOrPartition) {
		t.Fatalf("%+v", res)
	}
	if p := f.p("t", i); p.Leader != 1 || p.LeaderEpoch != before.LeaderEpoch+1 || !slices.Equal(p.ISR, before.ISR) {
		t.Fatalf("%+v", p)
	}
	res, _ = f.c.ElectLeaders(ctx, false, []TopicPartition{{"t", 0}, {"t", 0}})
	if !errors.Is(res[0].Err, ErrInvalidRequest) || !errors.Is(res[1].Err, ErrInvalidRequest) {
		t.Fatalf("duplicates: %+v", res)
	}
	if res, _ := f.c.ElectLeaders(ctx, false, nil); len(res) != 0 {
		t.Fatalf("balanced cluster: %+v", res)
	}
}

func TestElectLeadersUnclean(t *testing.T) {
	f := newFixture(t, 3, nil, nil)
	ctx := context.Background()
	f.create(CreateTopic{Name: "t", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {1, 2}, 1: {1, 3}, 2: {2, 3}}})
	f.alter("t", 0, 1)
	f.alter("t", 1, 1)
	f.hb(3, BrokerHeartbeat{WantFence: true})
	f.hb(1, BrokerHeartbeat{WantFence: true})
	// t-0: offline, 2 alive outside the ISR; t-1: offline, nobody alive; t-2: led by 2.
	res, err := f.c.ElectLeaders(ctx, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Partition != 0 || res[0].Err != nil || res[1].Partition != 1 || !errors.Is(res[1].Err, ErrEligibleLeadersNotAvailable) {
		t.Fatalf("%+v", res)
	}
	if p := f.p("t", 0); p.Leader != 2 || !slices.Equal(p.ISR, []int32{2}) {
		t.Fatalf("%+v", p)
	}
	res, _ = f.c.ElectLeaders(ctx, true, []TopicPartition{{"t", 2}})
	if !errors.Is(res[0].Err, ErrElectionNotNeeded) {
		t.Fatalf("%+v", res)
	}
}

func TestAutoLeaderRebalance(t *testing.T) {
	for _, enabled := range []bool{true, false} {
		t.Run(map[bool]string{true: "enabled", false: "disabled"}[enabled], func(t *testing.T) {
			f, i := displaced(t, func(o *Options) {
				o.LeaderImbalanceCheckInterval = 20 * time.Second
				o.AutoLeaderRebalance = new(enabled)
			})
			f.alter("t", i, append(slices.Clone(f.p("t", i).ISR), 1)...)
			for step := range 4 {
				f.advance(5 * time.Second)
				f.hbAll(1, 2, 3)
				f.tick()
				if moved := f.p("t", i).Leader == 1; moved != (enabled && step == 3) {
					t.Fatalf("after %ds: leader %d", 5*(step+1), f.p("t", i).Leader)
				}
			}
		})
	}
}
