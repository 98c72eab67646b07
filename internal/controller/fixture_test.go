package controller

import (
	"context"
	"testing"
	"time"

	"github.com/strom-project/strom/internal/metadata"
)

// fixture is a one-voter controller with several registered brokers and a
// fake clock; it plays the brokers' side of the lifecycle protocol.
type fixture struct {
	t      testing.TB
	c      *Controller
	clock  *fakeClock
	epochs map[int32]int64
	incs   map[int32]metadata.Uuid
}

// newFixture starts a controller and joins brokers 1..n (racks[i] is the
// rack of broker i+1, if given).
func newFixture(t testing.TB, n int, racks []string, mod func(*Options)) *fixture {
	t.Helper()
	opts := testOptions(t.TempDir())
	clock := newFakeClock()
	opts.Now = clock.Now
	if mod != nil {
		mod(&opts)
	}
	f := &fixture{t: t, c: startBare(t, opts), clock: clock, epochs: map[int32]int64{}, incs: map[int32]metadata.Uuid{}}
	for i := range n {
		var rack *string
		if i < len(racks) {
			rack = &racks[i]
		}
		f.join(int32(i+1), rack)
	}
	return f
}

// join registers broker id as a new incarnation and heartbeats it unfenced.
func (f *fixture) join(id int32, rack *string) {
	f.t.Helper()
	f.register(id, rack)
	if r := f.hb(id, BrokerHeartbeat{}); r.IsFenced {
		f.t.Fatalf("broker %d still fenced after a caught-up heartbeat", id)
	}
}

// register registers a new incarnation of broker id (fenced).
func (f *fixture) register(id int32, rack *string) int64 {
	f.t.Helper()
	inc := metadata.RandomUuid()
	epoch, err := f.c.RegisterBroker(context.Background(), BrokerRegistration{ID: id, IncarnationID: inc, Rack: rack})
	if err != nil {
		f.t.Fatalf("register %d: %v", id, err)
	}
	f.epochs[id], f.incs[id] = epoch, inc
	return epoch
}

// hb sends a heartbeat of broker id with its current epoch; hb's ID and
// Epoch are filled in, a zero MetadataOffset becomes the current offset.
func (f *fixture) hb(id int32, hb BrokerHeartbeat) BrokerHeartbeatReply {
	f.t.Helper()
	r, err := f.tryHB(id, hb)
	if err != nil {
		f.t.Fatalf("heartbeat %d: %v", id, err)
	}
	return r
}

func (f *fixture) tryHB(id int32, hb BrokerHeartbeat) (BrokerHeartbeatReply, error) {
	hb.ID, hb.Epoch = id, f.epochs[id]
	if hb.MetadataOffset == 0 {
		hb.MetadataOffset = f.c.Image().Offset
	}
	return f.c.BrokerHeartbeat(context.Background(), hb)
}

// hbAll heartbeats every broker in ids (caught up, no wishes).
func (f *fixture) hbAll(ids ...int32) {
	f.t.Helper()
	for _, id := range ids {
		f.hb(id, BrokerHeartbeat{})
	}
}

// tick runs the controller's periodic work now.
func (f *fixture) tick() {
	f.t.Helper()
	if err := f.c.do(context.Background(), f.c.periodic); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) advance(d time.Duration) { f.clock.Advance(d) }

// create creates a topic and returns it.
func (f *fixture) create(ct CreateTopic) *metadata.Topic {
	f.t.Helper()
	mustCreate(f.t, f.c, ct)
	return f.c.Image().Topics[ct.Name]
}

// p is partition i of topic in the current image.
func (f *fixture) p(topic string, i int32) *metadata.Partition {
	return f.c.Image().Topics[topic].Partitions[i]
}

func (f *fixture) broker(id int32) *metadata.Broker { return f.c.Image().Brokers[id] }

// alter sends an AlterPartition for one partition from its current leader.
func (f *fixture) alter(topic string, i int32, isr ...int32) AlterPartitionResult {
	f.t.Helper()
	p, id := f.p(topic, i), f.c.Image().Topics[topic].ID
	res, err := f.c.AlterPartition(context.Background(), p.Leader, f.epochs[p.Leader], []AlterPartitionItem{{
		TopicID: id, Partition: i, LeaderEpoch: p.LeaderEpoch, PartitionEpoch: p.PartitionEpoch, NewISR: isr}})
	if err != nil {
		f.t.Fatalf("alter partition: %v", err)
	}
	return res[0]
}
