package fault

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"

	"github.com/strom-project/strom/internal/teststrom"
)

// faultKind is one nemesis: inject picks its victims, applies the fault
// and returns what heals it.
type faultKind struct {
	name   string
	inject func(ctx context.Context, n *nemesis) (heal func() error, err error)
	// network: needs the nodes in network namespaces (netns_test.go).
	network bool
	// disk: needs each node's data directory on a small tmpfs (disk_test.go).
	disk bool
}

// nemesis applies faults to the cluster, drawing every choice from the
// run's seed and logging each action in the history.
type nemesis struct {
	c     *teststrom.Cluster
	h     *history
	rng   *rand.Rand
	topic string
	net   *netEnv // nil on loopback
}

func (n *nemesis) log(f string, node int32, err error) {
	o := op{Process: "nemesis", Type: ok, F: f, Node: node, Offset: -1}
	if err != nil {
		o.Type, o.Error = fail, err.Error()
	}
	n.h.add(o)
}

// leader is the leader of a partition the seed picks.
func (n *nemesis) leader(ctx context.Context) (int32, error) {
	return n.c.LeaderOf(ctx, n.topic, n.rng.Int32N(partitions))
}

func (n *nemesis) controller(ctx context.Context) (int32, error) { return n.c.ActiveController(ctx) }

// follower is a node that follows a partition the seed picks.
func (n *nemesis) follower(ctx context.Context) (int32, error) {
	leader, err := n.leader(ctx)
	if err != nil {
		return -1, err
	}
	others := n.others(leader)
	return others[n.rng.IntN(len(others))], nil
}

// some returns k distinct node ids the seed picks.
func (n *nemesis) some(k int) []int32 {
	ids := n.c.BrokerIDs()
	n.rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	return ids[:k]
}

// kill SIGKILLs nodes; healing restarts them together (a lone node of a
// cluster with no quorum cannot become ready by itself).
func (n *nemesis) kill(ids ...int32) (func() error, error) {
	for _, id := range ids {
		err := n.c.Node(id).Kill()
		n.log("kill", id, err)
		if err != nil {
			return nil, err
		}
	}
	return func() error {
		errs := make([]error, len(ids))
		var wg sync.WaitGroup
		for i, id := range ids {
			wg.Go(func() {
				errs[i] = n.c.Node(id).Restart()
				n.log("restart", id, errs[i])
			})
		}
		wg.Wait()
		return errors.Join(errs...)
	}, nil
}

// pause SIGSTOPs a node; healing resumes it.
func (n *nemesis) pause(id int32) (func() error, error) {
	err := n.c.Node(id).Pause()
	n.log("pause", id, err)
	if err != nil {
		return nil, err
	}
	return func() error {
		err := n.c.Node(id).Resume()
		n.log("resume", id, err)
		return err
	}, nil
}

func pick(choose func(*nemesis, context.Context) (int32, error), then func(*nemesis, int32) (func() error, error)) func(context.Context, *nemesis) (func() error, error) {
	return func(ctx context.Context, n *nemesis) (func() error, error) {
		id, err := choose(n, ctx)
		if err != nil {
			return nil, fmt.Errorf("choosing the victim: %w", err)
		}
		return then(n, id)
	}
}

func killOne(n *nemesis, id int32) (func() error, error) { return n.kill(id) }

// network applies rules with add and returns the heal that flushes them.
func (n *nemesis) network(f string, add func() error) (func() error, error) {
	heal := func() error {
		err := n.net.healAll()
		n.log("heal-network", -1, err)
		return err
	}
	err := add()
	n.log(f, -1, err)
	if err != nil {
		return nil, errors.Join(err, heal())
	}
	return heal, nil
}

// isolate cuts node id off from every other node, both ways (clients
// still reach it, so it may be asked to write while cut off).
func (n *nemesis) isolate(id int32) (func() error, error) {
	return n.network(fmt.Sprintf("isolate %d", id), func() error {
		for _, o := range n.others(id) {
			if err := errors.Join(n.net.cut(id, o), n.net.cut(o, id)); err != nil {
				return err
			}
		}
		return nil
	})
}

// mute drops what node id sends to the others; it still hears them.
func (n *nemesis) mute(id int32) (func() error, error) {
	return n.network(fmt.Sprintf("mute %d", id), func() error {
		for _, o := range n.others(id) {
			if err := n.net.cut(id, o); err != nil {
				return err
			}
		}
		return nil
	})
}

// cutReplication stops the other nodes reaching node id's broker
// listener (replication fetches, transaction markers); its CONTROLLER
// listener, and so its heartbeats and the quorum, still work.
func (n *nemesis) cutReplication(id int32) (func() error, error) {
	port := portOf(n.c.Node(id).Addr())
	return n.network(fmt.Sprintf("cut replication to %d", id), func() error {
		for _, o := range n.others(id) {
			if err := n.net.cutPort(o, id, port); err != nil {
				return err
			}
		}
		return nil
	})
}

// bridge cuts two nodes off from each other; both still reach the third,
// which bridges them (a non-transitive partition).
func (n *nemesis) bridge(context.Context) (func() error, error) {
	ids := n.some(3)
	return n.network(fmt.Sprintf("bridge %d|%d via %d", ids[0], ids[1], ids[2]), func() error {
		return errors.Join(n.net.cut(ids[0], ids[1]), n.net.cut(ids[1], ids[0]))
	})
}

// loss makes every node drop a fifth of what it sends to the others.
func (n *nemesis) loss(context.Context) (func() error, error) {
	return n.network("loss 20%", func() error {
		for _, id := range n.c.BrokerIDs() {
			if err := n.net.lossy(id, 20); err != nil {
				return err
			}
		}
		return nil
	})
}

func (n *nemesis) others(id int32) []int32 {
	var out []int32
	for _, o := range n.c.BrokerIDs() {
		if o != id {
			out = append(out, o)
		}
	}
	return out
}

func portOf(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}

// The fault kinds. A pause or a partition lasts longer than
// broker.session.timeout.ms and replica.lag.time.max.ms (the 4 s minimum
// hold), so the cluster fences the node and shrinks it out of every ISR
// while it still holds its sockets and, cut off, may still be asked to
// write by clients.
var faultKinds = []faultKind{
	{"kill-partition-leader", pick((*nemesis).leader, killOne), false, false},
	{"kill-active-controller", pick((*nemesis).controller, killOne), false, false},
	{"kill-random-node", func(_ context.Context, n *nemesis) (func() error, error) { return n.kill(n.some(1)...) }, false, false},
	{"kill-majority", func(_ context.Context, n *nemesis) (func() error, error) { return n.kill(n.some(2)...) }, false, false},
	{"kill-all", func(_ context.Context, n *nemesis) (func() error, error) { return n.kill(n.c.BrokerIDs()...) }, false, false},
	{"pause-partition-leader", pick((*nemesis).leader, (*nemesis).pause), false, false},
	{"pause-active-controller", pick((*nemesis).controller, (*nemesis).pause), false, false},
	{"isolate-partition-leader", pick((*nemesis).leader, (*nemesis).isolate), true, false},
	{"isolate-active-controller", pick((*nemesis).controller, (*nemesis).isolate), true, false},
	{"mute-partition-leader", pick((*nemesis).leader, (*nemesis).mute), true, false},
	{"cut-replication-to-leader", pick((*nemesis).leader, (*nemesis).cutReplication), true, false},
	{"bridge-partition", func(ctx context.Context, n *nemesis) (func() error, error) { return n.bridge(ctx) }, true, false},
	{"fill-disk-of-partition-leader", pick((*nemesis).leader, (*nemesis).fill), false, true},
	{"fill-disk-of-follower", pick((*nemesis).follower, (*nemesis).fill), false, true},
	{"torn-segment-tail", corruptOne("tear", tornTail), false, false},
	{"bit-flip-segment-tail", corruptOne("flip", flipByte), false, false},
	{"packet-loss-20pct", func(ctx context.Context, n *nemesis) (func() error, error) { return n.loss(ctx) }, true, false},
}
