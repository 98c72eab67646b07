package testcluster

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strom-project/strom/internal/broker"
	"github.com/strom-project/strom/internal/cli/dev/layout"
	"github.com/strom-project/strom/internal/config"
)

// Options describes a cluster; the zero value is three nodes.
type Options struct {
	// Nodes is the number of nodes, node.id 1..Nodes; default 3.
	Nodes int
	// Voters is how many of the nodes (the first ones) are metadata
	// quorum voters; the others are broker-only observers. Default: all.
	Voters int
	// DedicatedControllers makes the voters controller-only
	// (process.roles=controller); the other nodes are the brokers.
	DedicatedControllers bool
	// Overrides are settings for every node, applied after the generated
	// server.properties (later wins): the contract of package layout and
	// log.segment.bytes=8388608. Lower failover timeouts here, e.g.
	// "broker.session.timeout.ms": "2500".
	Overrides map[string]string
	// StartTimeout bounds Start, and each Restart, until the nodes serve
	// clients; default 60s.
	StartTimeout time.Duration
	// LogLevel of every node's log; default slog.LevelInfo.
	LogLevel slog.Level
	// BeforeFirstStart, if set, runs for each node before it first starts,
	// e.g. to format its metadata directory with SCRAM users.
	BeforeFirstStart func(cfg *config.Broker) error
}

// Cluster is a running in-process cluster. Stop and Restart belong to the
// test's goroutine and must not run concurrently; Bootstrap and Broker are
// safe at any time.
type Cluster struct {
	t     testing.TB
	opts  Options
	plan  layout.Cluster
	nodes []*node
}

// node is one broker: its configuration, its log and, while running, the
// broker. mu guards b, so Broker may read it from any goroutine.
type node struct {
	cfg  *config.Broker
	logf *os.File
	log  *slog.Logger
	mu   sync.Mutex
	b    *broker.Broker // nil while stopped
}

// Start lays out opts.Nodes nodes in a temporary directory, starts them
// concurrently (each Start returns only once the quorum has formed) and
// returns when all serve clients. It fails t if they do not within
// opts.StartTimeout.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	if opts.Nodes == 0 {
		opts.Nodes = 3
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 60 * time.Second
	}
	dir := t.TempDir()
	if keep := os.Getenv("STROM_TESTCLUSTER_DIR"); keep != "" {
		// Keep the nodes' data and logs for a post-mortem.
		dir = filepath.Join(keep, t.Name())
		os.RemoveAll(dir)
	}
	plan, err := layout.OnFreePorts(dir, opts.Nodes)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Voters > 0 || opts.DedicatedControllers {
		if err := plan.SetRoles(cmp.Or(opts.Voters, opts.Nodes), opts.DedicatedControllers); err != nil {
			t.Fatal(err)
		}
	}
	settings := map[string]string{"log.segment.bytes": "8388608"}
	maps.Copy(settings, opts.Overrides)
	c := &Cluster{t: t, opts: opts, plan: plan}
	t.Cleanup(c.close)
	for i, n := range plan.Nodes {
		cfg, err := config.New(plan.Properties(i, settings))
		if err != nil {
			t.Fatalf("node %d: %v", n.ID, err)
		}
		if err := os.MkdirAll(n.Dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if opts.BeforeFirstStart != nil {
			if err := opts.BeforeFirstStart(cfg); err != nil {
				t.Fatalf("node %d: %v", n.ID, err)
			}
		}
		logf, err := os.Create(filepath.Join(n.Dir, "strom.log"))
		if err != nil {
			t.Fatal(err)
		}
		log := slog.New(slog.NewTextHandler(logf, &slog.HandlerOptions{Level: opts.LogLevel})).With("node", n.ID)
		c.nodes = append(c.nodes, &node{cfg: cfg, logf: logf, log: log})
	}
	ctx, cancel := context.WithTimeout(context.Background(), opts.StartTimeout)
	defer cancel()
	errs := make([]error, len(c.nodes))
	var wg sync.WaitGroup
	for i := range c.nodes {
		wg.Go(func() {
			if errs[i] = c.start(ctx, i); errs[i] != nil {
				cancel() // the others cannot form a quorum without it
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("starting a %d-node cluster: %v\n%s", opts.Nodes, err, c.LogTails(40))
	}
	return c
}

// start creates and starts node i's broker.
func (c *Cluster) start(ctx context.Context, i int) error {
	n := c.nodes[i]
	b, err := broker.New(n.cfg, n.log)
	if err == nil {
		err = b.Start(ctx)
	}
	if err != nil {
		return fmt.Errorf("node %d: %w", i+1, err)
	}
	n.mu.Lock()
	n.b = b
	n.mu.Unlock()
	return nil
}

// Bootstrap is every broker's client address, in node order.
func (c *Cluster) Bootstrap() []string { return c.plan.Bootstrap() }

// Broker returns node i's broker (node.id i+1), nil while it is stopped.
func (c *Cluster) Broker(i int) *broker.Broker {
	n := c.nodes[i]
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.b
}

// Stop shuts node i (node.id i+1) down cleanly; t fails if it is not
// running or does not close cleanly.
func (c *Cluster) Stop(i int) {
	c.t.Helper()
	n := c.nodes[i]
	n.mu.Lock()
	b := n.b
	n.b = nil
	n.mu.Unlock()
	if b == nil {
		c.t.Fatalf("Stop: node %d is not running", i+1)
	}
	if err := b.Close(); err != nil {
		c.t.Fatalf("stopping node %d: %v\n%s", i+1, err, c.LogTails(40))
	}
	fmt.Fprintf(n.logf, "--- testcluster: stopped at %s ---\n", time.Now().Format(time.RFC3339Nano))
}

// Restart starts node i (node.id i+1) again after Stop, on the same ports
// and directories, and returns once it serves clients; t fails otherwise.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	if c.Broker(i) != nil {
		c.t.Fatalf("Restart: node %d is running; Stop it first", i+1)
	}
	fmt.Fprintf(c.nodes[i].logf, "--- testcluster: restart at %s ---\n", time.Now().Format(time.RFC3339Nano))
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.StartTimeout)
	defer cancel()
	if err := c.start(ctx, i); err != nil {
		c.t.Fatalf("restarting: %v\n%s", err, c.LogTails(40))
	}
}

// close stops every running node; on a failed test it prints their logs.
func (c *Cluster) close() {
	var errs []error
	for i := range c.nodes {
		n := c.nodes[i]
		n.mu.Lock()
		b := n.b
		n.b = nil
		n.mu.Unlock()
		if b != nil {
			if err := b.Close(); err != nil {
				errs = append(errs, fmt.Errorf("node %d: %w", i+1, err))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		c.t.Errorf("closing the cluster: %v", err)
	}
	if c.t.Failed() {
		c.t.Log(c.LogTails(60))
	}
	for _, n := range c.nodes {
		n.logf.Close()
	}
}

// LogTails returns the last n lines of every node's log, each under a
// header naming the node.
func (c *Cluster) LogTails(n int) string {
	var sb strings.Builder
	for _, node := range c.plan.Nodes {
		fmt.Fprintf(&sb, "=== node %d (%s) log (tail) ===\n", node.ID, node.Addr())
		f, err := os.Open(filepath.Join(node.Dir, "strom.log"))
		if err != nil {
			fmt.Fprintf(&sb, "(%v)\n", err)
			continue
		}
		var lines []string
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if lines = append(lines, sc.Text()); len(lines) > n {
				lines = lines[1:]
			}
		}
		f.Close()
		sb.WriteString(strings.Join(lines, "\n") + "\n")
	}
	return sb.String()
}
