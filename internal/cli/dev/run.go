package dev

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strom-project/strom/internal/cli/dev/layout"
	"github.com/strom-project/strom/internal/cli/kafka"
)

// Bounds of a stop: SIGTERM until every node has exited, then SIGKILL until
// the rest are reaped.
const (
	stopTimeout = 30 * time.Second
	reapTimeout = 10 * time.Second
)

// runSpec is one `strom dev cluster` run, validated.
type runSpec struct {
	plan     layout.Cluster
	settings map[string]string // on top of the layout, for every node
	exe      string            // the strom binary the nodes run
	timeout  time.Duration     // for every node to answer
	stdout   io.Writer         // progress, the bootstrap servers
	stderr   io.Writer         // the nodes' output, and what went wrong
}

// run starts the cluster and supervises it until ctx ends, then stops it.
// It fails when a node does not start, every node has died, or a node does
// not stop cleanly; a node that died while others ran was reported then.
func run(ctx context.Context, spec runSpec) error {
	if err := checkDir(spec.plan); err != nil {
		return err
	}
	if err := portsFree(spec.plan); err != nil {
		return err
	}
	if err := spec.plan.Write(spec.settings); err != nil {
		return err
	}
	sv := newSupervisor(spec)
	began := time.Now()
	if err := sv.startAll(); err != nil {
		return errors.Join(err, sv.stopAll())
	}
	if err := sv.waitReady(ctx); err != nil || ctx.Err() != nil {
		// Interrupted while starting: stopping is what was asked for.
		return errors.Join(err, sv.stopAll())
	}
	sv.printReady(time.Since(began))
	err := sv.supervise(ctx)
	return errors.Join(err, sv.stopAll())
}

// portsFree checks that every node's ports can be bound now, so a second
// cluster or another broker on them is refused before anything starts.
func portsFree(plan layout.Cluster) error {
	for _, n := range plan.Nodes {
		type port struct{ addr, what, flag string }
		var ports []port
		if n.Broker {
			ports = append(ports, port{n.Addr(), "client", "--base-port"})
		}
		if n.Controller {
			ports = append(ports, port{n.ControllerAddr(), "controller", "--controller-base-port"})
		}
		if n.AdminPort > 0 {
			ports = append(ports, port{n.AdminAddr(), "admin", "--admin-base-port"})
		}
		for _, p := range ports {
			l, err := net.Listen("tcp", p.addr)
			if err != nil {
				return fmt.Errorf("node %d's %s port %s is in use (another strom dev cluster or broker?): stop it, or choose other ports with %s: %w",
					n.ID, p.what, p.addr, p.flag, err)
			}
			l.Close()
		}
	}
	return nil
}

// waitReady waits until every node answers, a node exits, the timeout
// passes, or ctx ends (an error only for the first three).
func (sv *supervisor) waitReady(ctx context.Context) error {
	wctx, cancel := context.WithTimeout(ctx, sv.spec.timeout)
	defer cancel()
	ready := make(chan int32, len(sv.children))
	for _, c := range sv.children {
		go func() {
			if pollPing(wctx, c.node.ReadyAddr()) == nil {
				ready <- c.node.ID
			}
		}()
	}
	pending := map[int32]bool{}
	for _, c := range sv.children {
		pending[c.node.ID] = true
	}
	for len(pending) > 0 {
		select {
		case id := <-ready:
			delete(pending, id)
		case c := <-sv.exits:
			return fmt.Errorf("node %d exited while starting (%s); its output is above and in %s", c.node.ID, c.status(), c.logPath())
		case <-wctx.Done():
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("nodes %s did not answer within %v (--timeout); their output is above", idList(pending), sv.spec.timeout)
		}
	}
	return nil
}

// pollPing pings addr until it answers or ctx ends.
func pollPing(ctx context.Context, addr string) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := ping(ctx, addr); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// ping is one ApiVersions round trip with the node at addr alone; a cluster
// node answers once the quorum has formed and it has registered.
func ping(ctx context.Context, addr string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DialTimeout(time.Second))
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return cl.Ping(ctx)
}

func (sv *supervisor) printReady(took time.Duration) {
	bootstrap := strings.Join(sv.spec.plan.Bootstrap(), ",")
	sv.out.printf("strom dev: %d node(s) ready in %v; data in %s\n", len(sv.children), took.Round(time.Millisecond), sv.dir())
	sv.out.printf("bootstrap servers: %s\n", bootstrap)
	sv.out.printf("try: export %s=%s; strom topic create demo -p 3 && echo hello | strom produce demo && strom consume demo -e\n", kafka.BrokersEnv, bootstrap)
	sv.out.printf(" or: kcat -b %s -L\n", bootstrap)
	if n := sv.spec.plan.Nodes[0]; n.AdminPort > 0 {
		sv.out.printf("metrics: http://%s/metrics (node N: port %d+N-1)\n", n.AdminAddr(), n.AdminPort)
	}
	sv.out.printf("Ctrl-C stops every node; the same command restarts them on their data.\n")
}

func idList(ids map[int32]bool) string {
	var s []string
	for _, id := range slices.Sorted(maps.Keys(ids)) {
		s = append(s, fmt.Sprint(id))
	}
	return strings.Join(s, ", ")
}
