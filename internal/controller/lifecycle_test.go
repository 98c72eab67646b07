package controller

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/strom-project/strom/internal/metadata"
)

func TestRegistrationAndUnfence(t *testing.T) {
	f := newFixture(t, 1, nil, nil)
	ctx := context.Background()
	inc := metadata.RandomUuid()
	reg := BrokerRegistration{ID: 2, IncarnationID: inc, Rack: new("r1")}
	epoch, err := f.c.RegisterBroker(ctx, reg)
	if err != nil {
		t.Fatal(err)
	}
	f.epochs[2] = epoch
	b := f.broker(2)
	if b.Epoch != epoch || int64(f.c.Image().Offset) != epoch || !b.Fenced || b.IncarnationID != inc || *b.Rack != "r1" {
		t.Fatalf("broker %+v, epoch %d, offset %d", b, epoch, f.c.Image().Offset)
	}
	// A retry of the same incarnation is answered from the image.
	offset := f.c.Image().Offset
	if again, err := f.c.RegisterBroker(ctx, reg); err != nil || again != epoch || f.c.Image().Offset != offset {
		t.Fatalf("retry: epoch %d (want %d) err %v, offset %d → %d", again, epoch, err, offset, f.c.Image().Offset)
	}
	if _, err := f.c.RegisterBroker(ctx, BrokerRegistration{ID: -1}); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("negative id: %v", err)
	}

	if _, err := f.c.BrokerHeartbeat(ctx, BrokerHeartbeat{ID: 2, Epoch: epoch - 1, MetadataOffset: offset}); !errors.Is(err, ErrStaleBrokerEpoch) {
		t.Fatalf("stale epoch: %v", err)
	}
	if _, err := f.c.BrokerHeartbeat(ctx, BrokerHeartbeat{ID: 9, Epoch: epoch}); !errors.Is(err, ErrBrokerNotRegistered) {
		t.Fatalf("unknown broker: %v", err)
	}
	// Not caught up with its own registration: stays fenced.
	if r := f.hb(2, BrokerHeartbeat{MetadataOffset: uint64(epoch) - 1}); r.IsCaughtUp || !r.IsFenced || r.ShouldShutDown {
		t.Fatalf("behind: %+v", r)
	}
	// Caught up but wants to stay fenced.
	if r := f.hb(2, BrokerHeartbeat{WantFence: true}); !r.IsCaughtUp || !r.IsFenced {
		t.Fatalf("want fence: %+v", r)
	}
	res := f.c.CreateTopics(ctx, []CreateTopic{{Name: "t", NumPartitions: 1, ReplicationFactor: 2}}, false)
	if !errors.Is(res[0].Err, ErrInvalidReplicationFactor) {
		t.Fatalf("RF 2 with one unfenced broker: %v", res[0].Err)
	}
	if r := f.hb(2, BrokerHeartbeat{}); !r.IsCaughtUp || r.IsFenced {
		t.Fatalf("unfence: %+v", r)
	}
	if f.broker(2).Fenced {
		t.Fatal("image still shows broker 2 fenced")
	}
	tp := f.create(CreateTopic{Name: "t", NumPartitions: 2, ReplicationFactor: 2})
	for _, p := range tp.Partitions {
		if len(p.ISR) != 2 || p.Leader != p.Replicas[0] {
			t.Fatalf("partition %+v", p)
		}
	}
}

// TestSessionExpiry: a broker silent for longer than the session timeout is
// fenced by the periodic check; its leaderships move and it leaves the
// ISRs. Heartbeating again unfences it but does not put it back in ISRs.
func TestSessionExpiry(t *testing.T) {
	f := newFixture(t, 3, nil, nil)
	f.create(CreateTopic{Name: "t", NumPartitions: 6, ReplicationFactor: 3})
	before := f.c.Image().Topics["t"]
	f.advance(5 * time.Second)
	f.hbAll(1, 2)
	f.advance(4 * time.Second)
	f.tick()
	if f.broker(3).Fenced {
		t.Fatal("fenced at exactly the timeout")
	}
	f.advance(time.Second)
	f.tick()
	if !f.broker(3).Fenced || f.broker(1).Fenced || f.broker(2).Fenced {
		t.Fatalf("fencing: 1 %v 2 %v 3 %v", f.broker(1).Fenced, f.broker(2).Fenced, f.broker(3).Fenced)
	}
	for i, p := range f.c.Image().Topics["t"].Partitions {
		old := before.Partitions[i]
		if slices.Contains(p.ISR, 3) || p.Leader == 3 || p.Leader == -1 || len(p.ISR) != 2 {
			t.Fatalf("partition %d after fencing 3: %+v", i, p)
		}
		if moved := old.Leader == 3; moved != (p.LeaderEpoch == old.LeaderEpoch+1) || p.PartitionEpoch != old.PartitionEpoch+1 {
			t.Fatalf("partition %d epochs: %+v → %+v", i, old, p)
		}
	}
	if r := f.hb(3, BrokerHeartbeat{}); r.IsFenced {
		t.Fatalf("broker 3 heartbeat after expiry: %+v", r)
	}
	for _, p := range f.c.Image().Topics["t"].Partitions {
		if slices.Contains(p.ISR, 3) {
			t.Fatal("unfencing put broker 3 back into an ISR")
		}
	}
}

// TestLastISRMember: the last ISR member leaves the ISR for the ELR
// (KIP-966); the partition goes offline and that broker leads again when it
// comes back, even though another replica was alive all along (no unclean
// election by default).
func TestLastISRMember(t *testing.T) {
	f := newFixture(t, 2, nil, nil)
	f.create(CreateTopic{Name: "t", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {1, 2}}})
	if r := f.alter("t", 0, 1); r.Err != nil {
		t.Fatal(r.Err)
	}
	epoch := f.p("t", 0).LeaderEpoch
	f.hb(1, BrokerHeartbeat{WantFence: true})
	if p := f.p("t", 0); p.Leader != -1 || len(p.ISR) != 0 || !slices.Equal(p.ELR, []int32{1}) || p.LeaderEpoch != epoch+1 {
		t.Fatalf("after fencing the last ISR member: %+v", p)
	}
	f.hb(2, BrokerHeartbeat{})
	if f.p("t", 0).Leader != -1 {
		t.Fatal("an out-of-sync replica was elected")
	}
	f.hb(1, BrokerHeartbeat{})
	if p := f.p("t", 0); p.Leader != 1 || !slices.Equal(p.ISR, []int32{1}) || p.LeaderEpoch != epoch+2 {
		t.Fatalf("after unfencing it: %+v", p)
	}
}

// TestUncleanElection: with unclean.leader.election.enable (the topic's, or
// the broker default through Options.TopicConfig) a live out-of-sync
// replica takes over when the last ISR member is fenced.
func TestUncleanElection(t *testing.T) {
	for _, tc := range []struct {
		name      string
		topicCfg  map[string]string
		brokerCfg string
		want      int32
	}{
		{"default off", nil, "", -1},
		{"topic on", map[string]string{uncleanConfig: "true"}, "", 2},
		{"topic off overrides broker on", map[string]string{uncleanConfig: "false"}, "true", -1},
		{"broker default on", nil, "true", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 2, nil, func(o *Options) {
				o.TopicConfig = func(im *metadata.Image, topic, name string) string {
					if v, ok := im.TopicConfig(topic, name); ok {
						return v
					}
					if name == uncleanConfig {
						return tc.brokerCfg
					}
					return ""
				}
			})
			f.create(CreateTopic{Name: "t", NumPartitions: -1, ReplicationFactor: -1,
				Assignments: map[int32][]int32{0: {1, 2}}, Configs: tc.topicCfg})
			f.alter("t", 0, 1)
			f.hb(1, BrokerHeartbeat{WantFence: true})
			p := f.p("t", 0)
			if p.Leader != tc.want {
				t.Fatalf("leader %d, want %d (%+v)", p.Leader, tc.want, p)
			}
			if tc.want == 2 && !slices.Equal(p.ISR, []int32{2}) {
				t.Fatalf("ISR %v after unclean election", p.ISR)
			}
		})
	}
}

// TestUncleanElectionOnUnfence: an offline partition of a topic allowing
// unclean election gets a leader as soon as any replica is unfenced.
func TestUncleanElectionOnUnfence(t *testing.T) {
	f := newFixture(t, 2, nil, nil)
	f.create(CreateTopic{Name: "t", NumPartitions: -1, ReplicationFactor: -1,
		Assignments: map[int32][]int32{0: {1, 2}}, Configs: map[string]string{uncleanConfig: "true"}})
	f.alter("t", 0, 1)
	f.hb(2, BrokerHeartbeat{WantFence: true})
	f.hb(1, BrokerHeartbeat{WantFence: true})
	if p := f.p("t", 0); p.Leader != -1 {
		t.Fatalf("%+v", p)
	}
	f.hb(2, BrokerHeartbeat{})
	if p := f.p("t", 0); p.Leader != 2 || !slices.Equal(p.ISR, []int32{2}) {
		t.Fatalf("%+v", p)
	}
}

// TestControlledShutdown: the broker's leaderships move, it leaves ISRs, a
// partition nobody else can lead stays with it; once the other brokers
// have caught up it is told to shut down and fenced.
func TestControlledShutdown(t *testing.T) {
	f := newFixture(t, 3, nil, nil)
	f.create(CreateTopic{Name: "r3", NumPartitions: 3, ReplicationFactor: 3})
	f.create(CreateTopic{Name: "solo", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {2}}})
	if r := f.hb(2, BrokerHeartbeat{WantShutDown: true}); r.ShouldShutDown || r.IsFenced {
		t.Fatalf("first shutdown heartbeat: %+v", r)
	}
	if b := f.broker(2); !b.InControlledShutdown || b.Fenced {
		t.Fatalf("broker 2 %+v", b)
	}
	for _, p := range f.c.Image().Topics["r3"].Partitions {
		if p.Leader == 2 || slices.Contains(p.ISR, 2) || len(p.ISR) != 2 {
			t.Fatalf("r3 partition %+v", p)
		}
	}
	if p := f.p("solo", 0); p.Leader != 2 || !slices.Equal(p.ISR, []int32{2}) {
		t.Fatalf("solo %+v", p)
	}
	// It may not come back into an ISR nor be elected.
	if r := f.alter("r3", 0, append(slices.Clone(f.p("r3", 0).ISR), 2)...); !errors.Is(r.Err, ErrIneligibleReplica) {
		t.Fatalf("adding a shutting-down broker: %v", r.Err)
	}
	if res := f.create(CreateTopic{Name: "new", NumPartitions: 6, ReplicationFactor: 2}); slices.ContainsFunc(res.Partitions,
		func(p *metadata.Partition) bool { return slices.Contains(p.Replicas, 2) }) {
		t.Fatal("placed a replica on a shutting-down broker")
	}
	// The others have not confirmed the new leaders yet.
	if r := f.hb(2, BrokerHeartbeat{WantShutDown: true}); r.ShouldShutDown {
		t.Fatal("shut down before the other brokers caught up")
	}
	f.hbAll(1, 3)
	r := f.hb(2, BrokerHeartbeat{WantShutDown: true})
	if !r.ShouldShutDown || !r.IsFenced {
		t.Fatalf("final shutdown heartbeat: %+v", r)
	}
	if p := f.p("solo", 0); p.Leader != -1 || len(p.ISR) != 0 || !slices.Equal(p.ELR, []int32{2}) {
		t.Fatalf("solo after shutdown %+v", p)
	}
	if r := f.hb(2, BrokerHeartbeat{}); !r.ShouldShutDown || !r.IsFenced {
		t.Fatalf("heartbeat after shutdown: %+v", r)
	}
	// The restarted broker registers anew and gets its partition back.
	f.join(2, nil)
	if b := f.broker(2); b.InControlledShutdown || b.Fenced {
		t.Fatalf("re-registered broker %+v", b)
	}
	if p := f.p("solo", 0); p.Leader != 2 {
		t.Fatalf("solo after restart %+v", p)
	}
}

// TestControlledShutdownMovesLater: a leadership that could not move when
// the shutdown began moves once the shutting-down leader has expanded the
// ISR with a caught-up follower.
func TestControlledShutdownMovesLater(t *testing.T) {
	f := newFixture(t, 2, nil, nil)
	f.create(CreateTopic{Name: "t", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {1, 2}}})
	f.hb(2, BrokerHeartbeat{WantFence: true})
	if p := f.p("t", 0); !slices.Equal(p.ISR, []int32{1}) {
		t.Fatalf("%+v", p)
	}
	if r := f.hb(1, BrokerHeartbeat{WantShutDown: true}); r.ShouldShutDown {
		t.Fatal("shut down in the first heartbeat while leading")
	}
	if p := f.p("t", 0); p.Leader != 1 {
		t.Fatalf("%+v", p)
	}
	f.hb(2, BrokerHeartbeat{})
	if r := f.alter("t", 0, 1, 2); r.Err != nil || !slices.Equal(r.State.ISR, []int32{1, 2}) {
		t.Fatalf("%+v", r)
	}
	if r := f.hb(1, BrokerHeartbeat{WantShutDown: true}); r.ShouldShutDown {
		t.Fatal("shut down in the heartbeat that moved the leadership")
	}
	if p := f.p("t", 0); p.Leader != 2 || !slices.Equal(p.ISR, []int32{2}) {
		t.Fatalf("%+v", p)
	}
	f.hbAll(2)
	if r := f.hb(1, BrokerHeartbeat{WantShutDown: true}); !r.ShouldShutDown || !r.IsFenced {
		t.Fatalf("%+v", r)
	}
}

// TestControlledShutdownNothingCanMove: a leader nobody can replace is
// told to shut down once the others caught up; then the partition is
// offline with it as its only eligible leader replica.
func TestControlledShutdownNothingCanMove(t *testing.T) {
	f := newFixture(t, 2, nil, nil)
	f.create(CreateTopic{Name: "t", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {1, 2}}})
	f.alter("t", 0, 1)
	f.hb(1, BrokerHeartbeat{WantShutDown: true})
	f.hbAll(2)
	if r := f.hb(1, BrokerHeartbeat{WantShutDown: true}); !r.ShouldShutDown || !r.IsFenced {
		t.Fatalf("%+v", r)
	}
	if p := f.p("t", 0); p.Leader != -1 || len(p.ISR) != 0 || !slices.Equal(p.ELR, []int32{1}) {
		t.Fatalf("%+v", p)
	}
}

// TestShutdownWithoutLeaderships: a broker that leads nothing is fenced
// and told to shut down at once; it leaves the ISRs it was in.
func TestShutdownWithoutLeaderships(t *testing.T) {
	f := newFixture(t, 2, nil, nil)
	f.create(CreateTopic{Name: "t", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {1, 2}}})
	r := f.hb(2, BrokerHeartbeat{WantShutDown: true})
	if !r.ShouldShutDown || !r.IsFenced {
		t.Fatalf("%+v", r)
	}
	if p := f.p("t", 0); !slices.Equal(p.ISR, []int32{1}) || p.Leader != 1 {
		t.Fatalf("%+v", p)
	}
	if b := f.broker(2); !b.Fenced || !b.InControlledShutdown {
		t.Fatalf("%+v", b)
	}
}

// TestNewIncarnation: a broker that restarts without a controlled shutdown
// registers a new incarnation. While the old one's session is live that is
// refused (DUPLICATE_BROKER_REGISTRATION: it may be another process with
// the same node.id); once it expired, the old one is fenced and the new
// one registered.
func TestNewIncarnation(t *testing.T) {
	f := newFixture(t, 3, nil, nil)
	f.create(CreateTopic{Name: "t", NumPartitions: 3, ReplicationFactor: 3})
	old := f.epochs[2]
	oldOffset := f.c.Image().Offset
	_, err := f.c.RegisterBroker(context.Background(), BrokerRegistration{ID: 2, IncarnationID: metadata.RandomUuid()})
	if !errors.Is(err, ErrDuplicateBrokerRegistration) || f.c.Image().Offset != oldOffset {
		t.Fatalf("second process with a live session: %v, offset %d → %d", err, oldOffset, f.c.Image().Offset)
	}
	f.advance(DefaultBrokerSessionTimeout - time.Second)
	f.hb(1, BrokerHeartbeat{}) // 1 and 3 stay alive, 2 is dead
	f.hb(3, BrokerHeartbeat{})
	f.advance(time.Second + time.Millisecond)
	epoch := f.register(2, nil)
	if epoch <= old || uint64(epoch) != f.c.Image().Offset {
		t.Fatalf("epoch %d (old %d), offset %d → %d", epoch, old, oldOffset, f.c.Image().Offset)
	}
	if b := f.broker(2); !b.Fenced || b.Epoch != epoch {
		t.Fatalf("%+v", b)
	}
	for _, p := range f.c.Image().Topics["t"].Partitions {
		if p.Leader == 2 || slices.Contains(p.ISR, 2) {
			t.Fatalf("old incarnation still in %+v", p)
		}
	}
	if _, err := f.c.BrokerHeartbeat(context.Background(), BrokerHeartbeat{ID: 2, Epoch: old, MetadataOffset: oldOffset}); !errors.Is(err, ErrStaleBrokerEpoch) {
		t.Fatalf("old incarnation heartbeat: %v", err)
	}
	if r := f.hb(2, BrokerHeartbeat{MetadataOffset: oldOffset}); r.IsCaughtUp || !r.IsFenced {
		t.Fatalf("%+v", r)
	}
	if r := f.hb(2, BrokerHeartbeat{}); !r.IsCaughtUp || r.IsFenced {
		t.Fatalf("%+v", r)
	}
}

// TestRestartGrace: a controller that becomes active starts every broker's
// session afresh, however long ago the last heartbeat was.
func TestRestartGrace(t *testing.T) {
	f := newFixture(t, 2, nil, nil)
	f.create(CreateTopic{Name: "t", NumPartitions: 2, ReplicationFactor: 2})
	if err := f.c.Close(); err != nil {
		t.Fatal(err)
	}
	f.advance(time.Minute)
	f.c = startBare(t, f.c.opts)
	f.tick()
	if f.broker(1).Fenced || f.broker(2).Fenced {
		t.Fatal("fenced without a grace period after becoming active")
	}
	f.advance(5 * time.Second)
	f.hbAll(1)
	f.advance(5 * time.Second)
	f.tick()
	if f.broker(1).Fenced || !f.broker(2).Fenced {
		t.Fatalf("after the grace period: 1 fenced %v, 2 fenced %v", f.broker(1).Fenced, f.broker(2).Fenced)
	}
	for _, p := range f.c.Image().Topics["t"].Partitions {
		if p.Leader != 1 || !slices.Equal(p.ISR, []int32{1}) {
			t.Fatalf("%+v", p)
		}
	}
}

func TestAllocateProducerIDsNeedsRegistration(t *testing.T) {
	f := newFixture(t, 1, nil, nil)
	if _, _, err := f.c.AllocateProducerIDs(context.Background(), 7); !errors.Is(err, ErrStaleBrokerEpoch) {
		t.Fatalf("unregistered broker: %v", err)
	}
	// A fenced broker may still allocate (the transaction coordinator of a
	// starting broker needs ids before it is unfenced).
	f.hb(1, BrokerHeartbeat{WantFence: true})
	if _, _, err := f.c.AllocateProducerIDs(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
}
