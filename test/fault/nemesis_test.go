package fault

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/strom-project/strom/internal/teststrom"
)

// faultKind is one nemesis: inject picks its victims, applies the fault
// and returns what heals it.
type faultKind struct {
	name   string
	inject func(ctx context.Context, n *nemesis) (heal func() error, err error)
}

// nemesis applies faults to the cluster, drawing every choice from the
// run's seed and logging each action in the history.
type nemesis struct {
	c     *teststrom.Cluster
	h     *history
	rng   *rand.Rand
	topic string
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

// The fault kinds. A pause lasts longer than broker.session.timeout.ms and
// replica.lag.time.max.ms (holdMin), so the cluster fences the node and
// shrinks it out of every ISR while it still holds its sockets.
var faultKinds = []faultKind{
	{"kill-partition-leader", pick((*nemesis).leader, killOne)},
	{"kill-active-controller", pick((*nemesis).controller, killOne)},
	{"kill-random-node", func(_ context.Context, n *nemesis) (func() error, error) { return n.kill(n.some(1)...) }},
	{"kill-majority", func(_ context.Context, n *nemesis) (func() error, error) { return n.kill(n.some(2)...) }},
	{"kill-all", func(_ context.Context, n *nemesis) (func() error, error) { return n.kill(n.c.BrokerIDs()...) }},
	{"pause-partition-leader", pick((*nemesis).leader, (*nemesis).pause)},
	{"pause-active-controller", pick((*nemesis).controller, (*nemesis).pause)},
}
