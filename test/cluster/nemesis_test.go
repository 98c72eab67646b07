package cluster

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/strom-project/strom/internal/teststrom"
	"github.com/strom-project/strom/internal/testutil"
)

// nemesis chooses whom to kill in each round.
type nemesis struct {
	name string
	// controller: the victim is the active controller, so a round also
	// waits for, and times, the election of another one.
	controller bool
	// pick returns the victim; polled until it returns no error.
	pick func(ctx context.Context, c *teststrom.Cluster, topic string) (int32, error)
}

var (
	partitionLeader = nemesis{name: "kill-partition-0-leader",
		pick: func(ctx context.Context, c *teststrom.Cluster, topic string) (int32, error) {
			return c.LeaderOf(ctx, topic, 0)
		}}
	activeController = nemesis{name: "kill-active-controller", controller: true,
		pick: func(ctx context.Context, c *teststrom.Cluster, _ string) (int32, error) {
			return c.ActiveController(ctx)
		}}
	// dedicatedController is activeController in a cluster whose
	// controllers are controller-only nodes.
	dedicatedController = nemesis{name: "kill-dedicated-controller", controller: true, pick: activeController.pick}
)

// rounds is how many times a test kills a node.
func rounds() int {
	if testing.Short() {
		return 2
	}
	return 5
}

// round is what one kill-and-restart measured; -1 for "not measured".
type round struct {
	n      int
	victim int32
	led    []int32 // partitions the victim led when killed
	// electLeader is kill → the first write a new leader accepted, the
	// longest over the partitions the victim led (-1 when it led none).
	electLeader time.Duration
	electCtrl   time.Duration // kill → every node names another controller
	resume      time.Duration // kill → every partition written again
	restart     time.Duration // Restart until the node answered
	rejoin      time.Duration // restarted → every ISR full again
}

// env is one test's cluster, topic and producer ledger.
type env struct {
	t     *testing.T
	c     *teststrom.Cluster
	topic string
	led   *ledger
}

// fatalf fails the test with the producer's state and every node's log.
func (e *env) fatalf(format string, args ...any) {
	e.t.Helper()
	e.t.Fatalf("%s\n%s\n%s", fmt.Sprintf(format, args...), e.led.status(), e.c.LogTails(40))
}

// waitFor polls cond (each call bounded by a few seconds) until it returns
// nil, failing the test with what and cond's last error after timeout.
func (e *env) waitFor(timeout time.Duration, what string, cond func(ctx context.Context) error) {
	e.t.Helper()
	err := testutil.Poll(timeout, func() error {
		ctx, cancel := context.WithTimeout(e.t.Context(), 5*time.Second)
		defer cancel()
		return cond(ctx)
	})
	if err != nil {
		e.fatalf("%s: %v", what, err)
	}
}

// settled is nil once every node runs, every partition of topic has a
// leader and a full ISR, and every node names the same live controller.
func settled(ctx context.Context, c *teststrom.Cluster, topic string) error {
	return testutil.Poll(settleTimeout, func() error { return c.Settled(ctx, topic, partitions) })
}

// run runs the nemesis for rounds() rounds under a producer and returns
// the rounds' measurements and whether the producer flushed at the end.
func (e *env) run(nem nemesis, p *producer) ([]round, bool) {
	e.t.Helper()
	e.awaitAcks(500, "the first acknowledgements")
	var rs []round
	for n := 1; n <= rounds(); n++ {
		rs = append(rs, e.round(n, nem))
	}
	e.awaitAcks(500, "acknowledgements after the last round")
	return rs, p.stop(false)
}

// awaitAcks waits until n more values than now are acknowledged.
func (e *env) awaitAcks(n int, what string) {
	e.t.Helper()
	want := e.led.acks() + n
	e.waitFor(resumeTimeout, what, func(context.Context) error {
		if got := e.led.acks(); got < want {
			return fmt.Errorf("%d of %d acknowledgements", got, want)
		}
		return nil
	})
}

// round kills the victim, waits for new leaders (and controller) and
// writes on every partition, restarts it and waits until it is back in
// every ISR.
func (e *env) round(n int, nem nemesis) round {
	e.t.Helper()
	if err := settled(e.t.Context(), e.c, e.topic); err != nil {
		e.fatalf("round %d: the cluster did not settle before the kill: %v", n, err)
	}
	r := round{n: n, electLeader: -1, electCtrl: -1}
	e.waitFor(electTimeout, fmt.Sprintf("round %d: finding the %s", n, nem.name), func(ctx context.Context) (err error) {
		r.victim, err = nem.pick(ctx, e.c, e.topic)
		return err
	})
	e.waitFor(electTimeout, fmt.Sprintf("round %d: the leaders", n), func(ctx context.Context) error {
		r.led = nil
		for p := range int32(partitions) {
			leader, err := e.c.LeaderOf(ctx, e.topic, p)
			if err != nil {
				return err
			}
			if leader == r.victim {
				r.led = append(r.led, p)
			}
		}
		return nil
	})
	victim := e.c.Node(r.victim)
	killed := time.Now()
	if err := victim.Kill(); err != nil {
		e.fatalf("round %d: killing node %d: %v", n, r.victim, err)
	}
	if nem.controller {
		e.waitFor(electTimeout, fmt.Sprintf("round %d: a controller other than killed node %d", n, r.victim), func(ctx context.Context) error {
			id, err := e.c.ActiveController(ctx)
			if err == nil && id == r.victim {
				err = fmt.Errorf("node %d is still named controller", id)
			}
			return err
		})
		r.electCtrl = time.Since(killed)
	}
	e.waitFor(electTimeout, fmt.Sprintf("round %d: leaders other than killed node %d", n, r.victim), func(ctx context.Context) error {
		for p := range int32(partitions) {
			leader, err := e.c.LeaderOf(ctx, e.topic, p)
			if err == nil && leader == r.victim {
				err = fmt.Errorf("partition %d: killed node %d still named leader", p, leader)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	e.waitFor(resumeTimeout, fmt.Sprintf("round %d: writes on every partition after killing node %d", n, r.victim), func(context.Context) error {
		var missing []int32
		for p := range int32(partitions) {
			if _, ok := e.led.firstWrite(p, killed, r.victim); !ok {
				missing = append(missing, p)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("no write accepted on partitions %v since the kill", missing)
		}
		return nil
	})
	for p := range int32(partitions) {
		at, _ := e.led.firstWrite(p, killed, r.victim)
		r.resume = max(r.resume, at.Sub(killed))
		for _, lp := range r.led {
			if lp == p {
				r.electLeader = max(r.electLeader, at.Sub(killed))
			}
		}
	}
	began := time.Now()
	if err := victim.Restart(); err != nil {
		e.fatalf("round %d: restarting node %d: %v", n, r.victim, err)
	}
	r.restart = time.Since(began)
	began = time.Now()
	if err := settled(e.t.Context(), e.c, e.topic); err != nil {
		e.fatalf("round %d: restarted node %d not back in every ISR: %v", n, r.victim, err)
	}
	r.rejoin = time.Since(began)
	return r
}
