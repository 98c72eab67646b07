package controller

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/strom-project/strom/internal/metadata"
)

// brokerMode is how a simulated broker behaves in the random walk.
type brokerMode int

const (
	modeUp       brokerMode = iota // heartbeats, wants to be unfenced
	modeFenced                     // heartbeats with WantFence
	modeShutdown                   // heartbeats with WantShutDown until told to stop
	modeDead                       // silent
)

// TestRandomWalk applies random broker fences, unfences, shutdowns,
// restarts, session expiries, AlterPartitions and elections to a
// controller, and checks the partition invariants after every step.
// STROM_WALK_SEED=<n> replays a seed.
func TestRandomWalk(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("STROM_WALK_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("seed %d (STROM_WALK_SEED=%d replays it)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	steps := 400
	if testing.Short() {
		steps = 100
	}
	const brokers = 5
	f := newFixture(t, brokers, []string{"a", "a", "b", "b", "c"}, nil)
	f.create(CreateTopic{Name: "r3", NumPartitions: 6, ReplicationFactor: 3})
	f.create(CreateTopic{Name: "r2-unclean", NumPartitions: 4, ReplicationFactor: 2, Configs: map[string]string{uncleanConfig: "true"}})
	f.create(CreateTopic{Name: "r1", NumPartitions: 3, ReplicationFactor: 1})
	f.create(CreateTopic{Name: "r5", NumPartitions: 2, ReplicationFactor: 5})
	// KIP-966's ELR only fills below min ISR.
	f.create(CreateTopic{Name: "r3-min2", NumPartitions: 4, ReplicationFactor: 3, Configs: map[string]string{minISRConfig: "2"}})
	f.create(CreateTopic{Name: "r4-min3-unclean", NumPartitions: 2, ReplicationFactor: 4,
		Configs: map[string]string{minISRConfig: "3", uncleanConfig: "true"}})
	modes := map[int32]brokerMode{}
	for id := int32(1); id <= brokers; id++ {
		modes[id] = modeUp
	}
	w := &walk{t: t, f: f, rng: rng, modes: modes}
	prev := f.c.Image()
	offline, changes, withELR := 0, 0, 0
	for step := range steps {
		what := w.step()
		cur := f.c.Image()
		if err := checkInvariants(prev, cur); err != nil {
			t.Fatalf("step %d (%s), seed %d: %v", step, what, seed, err)
		}
		if cur != prev {
			changes++
		}
		for _, tp := range cur.Topics {
			for _, p := range tp.Partitions {
				if p.Leader == -1 {
					offline++
				}
				if len(p.ELR) > 0 {
					withELR++
				}
			}
		}
		prev = cur
	}
	t.Logf("%d steps changed the image; %d partition-steps offline, %d with an ELR", changes, offline, withELR)
	// The log replays to the same image.
	if err := f.c.Close(); err != nil {
		t.Fatal(err)
	}
	sameContent(t, prev, startBare(t, f.c.opts).Image())
}

type walk struct {
	t     *testing.T
	f     *fixture
	rng   *rand.Rand
	modes map[int32]brokerMode
}

func (w *walk) broker() int32 { return int32(w.rng.IntN(len(w.modes)) + 1) }

// heartbeat sends broker id the heartbeat its mode calls for.
func (w *walk) heartbeat(id int32) {
	var hb BrokerHeartbeat
	switch w.modes[id] {
	case modeDead:
		return
	case modeFenced:
		hb.WantFence = true
	case modeShutdown:
		hb.WantShutDown = true
	}
	if r := w.f.hb(id, hb); r.ShouldShutDown {
		w.modes[id] = modeDead
	}
}

func (w *walk) step() string {
	f, rng := w.f, w.rng
	switch op := rng.IntN(20); op {
	case 0, 1, 2, 3:
		id := w.broker()
		if w.modes[id] == modeUp || w.modes[id] == modeFenced {
			w.modes[id] = brokerMode(rng.IntN(2)) // up or fenced
		}
		w.heartbeat(id)
		return fmt.Sprintf("heartbeat %d mode %d", id, w.modes[id])
	case 4:
		id := w.broker()
		if w.modes[id] == modeUp {
			w.modes[id] = modeShutdown
		}
		w.heartbeat(id)
		return fmt.Sprintf("shutdown %d", id)
	case 5, 6, 7:
		id := w.broker()
		for other, m := range w.modes {
			if m == modeDead && rng.IntN(2) == 0 {
				id = other // mostly revive a dead broker
			}
		}
		inc := metadata.RandomUuid()
		epoch, err := f.c.RegisterBroker(context.Background(), BrokerRegistration{ID: id, IncarnationID: inc, Rack: new(string([]byte{'a' + byte(id%3)}))})
		if errors.Is(err, ErrDuplicateBrokerRegistration) {
			// Kafka's rule: a new process may not take the id while the
			// registered one is unfenced with a live session.
			if b := f.broker(id); b == nil || b.Fenced {
				f.t.Fatalf("restart %d refused as a duplicate, but the registration is %+v", id, b)
			}
			return fmt.Sprintf("restart %d refused: its session is live", id)
		}
		if err != nil {
			f.t.Fatalf("register %d: %v", id, err)
		}
		f.epochs[id], f.incs[id] = epoch, inc
		w.modes[id] = modeUp
		w.heartbeat(id)
		return fmt.Sprintf("restart %d", id)
	case 8, 9:
		id := w.broker()
		w.modes[id] = modeDead
		f.advance(10 * time.Second)
		for other := range w.modes {
			w.heartbeat(other)
		}
		f.tick()
		return fmt.Sprintf("session of %d expires", id)
	case 10, 11:
		res, err := f.c.ElectLeaders(context.Background(), rng.IntN(2) == 0, nil)
		if err != nil {
			w.t.Fatal(err)
		}
		return fmt.Sprintf("elect leaders: %d results", len(res))
	default:
		return w.alter()
	}
}

// alter has the leader of a random partition propose a random ISR, with
// sometimes stale epochs.
func (w *walk) alter() string {
	f, rng := w.f, w.rng
	im := f.c.Image()
	names := im.SortedTopicNames()
	tp := im.Topics[names[rng.IntN(len(names))]]
	p := tp.Partitions[rng.IntN(len(tp.Partitions))]
	if p.Leader == -1 {
		return "alter: offline partition"
	}
	isr := []int32{p.Leader}
	for _, r := range p.Replicas {
		if r != p.Leader && rng.IntN(2) == 0 {
			isr = append(isr, r)
		}
	}
	it := AlterPartitionItem{TopicID: tp.ID, Partition: p.Partition, LeaderEpoch: p.LeaderEpoch, PartitionEpoch: p.PartitionEpoch, NewISR: isr}
	if rng.IntN(5) == 0 {
		it.PartitionEpoch--
	}
	res, err := f.c.AlterPartition(context.Background(), p.Leader, f.epochs[p.Leader], []AlterPartitionItem{it})
	if err != nil {
		w.t.Fatal(err)
	}
	if r := res[0]; r.Err == nil && !sameMembers(r.State.ISR, isr) {
		w.t.Fatalf("AlterPartition to %v succeeded with ISR %v", isr, r.State.ISR)
	}
	return fmt.Sprintf("alter %s-%d to %v: %v", tp.Name, p.Partition, isr, res[0].Err)
}

// checkInvariants checks every partition of cur, and what may change from
// prev to cur.
func checkInvariants(prev, cur *metadata.Image) error {
	for id, b := range cur.Brokers {
		if old := prev.Brokers[id]; old != nil && b.Epoch < old.Epoch {
			return fmt.Errorf("broker %d epoch went back %d → %d", id, old.Epoch, b.Epoch)
		}
	}
	for name, t := range cur.Topics {
		old := prev.Topics[name]
		if old != nil && len(t.Partitions) < len(old.Partitions) {
			return fmt.Errorf("%s lost partitions", name)
		}
		for i, p := range t.Partitions {
			if err := checkPartition(cur, name, p); err != nil {
				return fmt.Errorf("%s-%d %+v: %w", name, i, p, err)
			}
			if old == nil || i >= len(old.Partitions) {
				continue
			}
			q := old.Partitions[i]
			switch {
			case p.LeaderEpoch < q.LeaderEpoch || p.PartitionEpoch < q.PartitionEpoch:
				return fmt.Errorf("%s-%d epochs went back: %+v → %+v", name, i, q, p)
			case p.Leader != q.Leader && p.LeaderEpoch == q.LeaderEpoch:
				return fmt.Errorf("%s-%d leader changed without a new leader epoch: %+v → %+v", name, i, q, p)
			case (p.Leader != q.Leader || !slices.Equal(p.ISR, q.ISR) || !slices.Equal(p.ELR, q.ELR)) && p.PartitionEpoch == q.PartitionEpoch:
				return fmt.Errorf("%s-%d changed without a new partition epoch: %+v → %+v", name, i, q, p)
			}
		}
	}
	return nil
}

// checkPartition checks the partition invariants, KIP-966's included: the
// ISR (maybe empty) and the ELR are disjoint sets of replicas, no fenced
// broker is in the ISR, the ELR is empty while the ISR has min ISR
// members, a leader is an unfenced ISR member, and LastKnownELR holds at
// most the last leader of a leaderless partition.
func checkPartition(im *metadata.Image, topic string, p *metadata.Partition) error {
	for i, b := range p.ISR {
		if slices.Contains(p.ISR[:i], b) || !slices.Contains(p.Replicas, b) {
			return fmt.Errorf("ISR member %d duplicated or not a replica", b)
		}
		if reg := im.Brokers[b]; reg == nil || reg.Fenced {
			return fmt.Errorf("fenced or unregistered broker %d in the ISR", b)
		}
	}
	for i, b := range p.ELR {
		if slices.Contains(p.ELR[:i], b) || !slices.Contains(p.Replicas, b) || slices.Contains(p.ISR, b) {
			return fmt.Errorf("ELR member %d duplicated, not a replica or in the ISR", b)
		}
	}
	minISR := 1
	if v, ok := im.TopicConfig(topic, minISRConfig); ok {
		minISR, _ = strconv.Atoi(v)
	}
	if len(p.ELR) > 0 && len(p.ISR) >= min(minISR, len(p.Replicas)) {
		return fmt.Errorf("ELR not empty with the ISR at min ISR %d", minISR)
	}
	if len(p.LastKnownELR) > 1 || len(p.LastKnownELR) == 1 && p.Leader != -1 {
		return fmt.Errorf("last known ELR %v with leader %d", p.LastKnownELR, p.Leader)
	}
	if p.Leader == -1 {
		return nil
	}
	if !slices.Contains(p.ISR, p.Leader) {
		return fmt.Errorf("leader not in the ISR")
	}
	if b := im.Brokers[p.Leader]; b == nil || b.Fenced {
		return fmt.Errorf("leader %d is fenced", p.Leader)
	}
	return nil
}
