package teststrom

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strom-project/strom/internal/cli/dev/layout"
)

// ClusterOptions describes an N-node cluster. Nodes and Dir are required.
type ClusterOptions struct {
	// Nodes is the number of nodes, node.id 1..Nodes; each is both broker
	// and controller unless Voters says otherwise.
	Nodes int
	// Voters is how many of the nodes (the first ones) are metadata quorum
	// voters; the rest are broker-only observers. Default: all.
	Voters int
	// DedicatedControllers runs the voters with process.roles=controller;
	// the other nodes are the brokers.
	DedicatedControllers bool
	// Dir holds one directory per node, Dir/node-N, with its
	// server.properties, its data (Dir/node-N/data, log.dirs) and its log
	// (Dir/node-N/strom.log). Restart reuses them.
	Dir string
	// Overrides are extra `--override key=value` settings for every node,
	// applied after the generated server.properties (later wins). That file
	// holds the contract of package layout plus log.segment.bytes=8388608,
	// as Start sets it. Tests lower failover timeouts here, e.g.
	// broker.session.timeout.ms=2500 and broker.heartbeat.interval.ms=250.
	Overrides []string
	// Binary is the strom binary to run; default Build's.
	Binary string
	// IPs, if set, gives node i+1 the address IPs[i] to listen on, and
	// Wrap the command it runs under (e.g. ip netns exec NS): fault tests
	// put each node in a network namespace of its own.
	IPs  []string
	Wrap func(id int32) []string
	// ReadyTimeout bounds each wait for nodes to answer: StartCluster's
	// wait for all of them to answer and list every broker, and each
	// Restart's; default 60s.
	ReadyTimeout time.Duration
}

// Cluster is an N-node cluster of `strom serve` processes on loopback
// ports. Nodes[i] has node.id i+1. Each node is a Broker: Kill, Stop and
// Restart act on one node, and a restarted node keeps its ports and data.
// The same rules as for a Broker hold per node; Close and the metadata
// helpers (Partition, LeaderOf, ActiveController, Brokers) are safe to call
// from any goroutine.
type Cluster struct {
	Nodes []*Broker

	plan  layout.Cluster
	admin *kgo.Client // seeded with every node, in node order

	closeOnce sync.Once
}

// StartCluster writes every node's configuration, starts all nodes, then
// waits until every one answers and its metadata lists every broker: a
// node answers only once the quorum has formed, so they start together.
// On failure every node is killed and the error carries the nodes' logs.
func StartCluster(opts ClusterOptions) (*Cluster, error) {
	if opts.Nodes < 1 || opts.Dir == "" {
		return nil, fmt.Errorf("teststrom: ClusterOptions needs Nodes ≥ 1 and Dir, got %d and %q", opts.Nodes, opts.Dir)
	}
	if opts.ReadyTimeout == 0 {
		opts.ReadyTimeout = defaultReadyTimeout
	}
	if opts.Binary == "" {
		bin, err := Build(context.Background())
		if err != nil {
			return nil, err
		}
		opts.Binary = bin
	}
	plan, err := layout.OnFreePorts(opts.Dir, opts.Nodes)
	if err != nil {
		return nil, err
	}
	if opts.Voters > 0 || opts.DedicatedControllers {
		if err := plan.SetRoles(cmp.Or(opts.Voters, opts.Nodes), opts.DedicatedControllers); err != nil {
			return nil, err
		}
	}
	if len(opts.IPs) > 0 {
		if len(opts.IPs) != opts.Nodes {
			return nil, fmt.Errorf("teststrom: %d IPs for %d nodes", len(opts.IPs), opts.Nodes)
		}
		for i := range plan.Nodes {
			plan.Nodes[i].IP = opts.IPs[i]
		}
	}
	if err := plan.Write(map[string]string{"log.segment.bytes": "8388608"}); err != nil {
		return nil, err
	}
	c := &Cluster{plan: plan}
	if c.admin, err = kgo.NewClient(kgo.SeedBrokers(plan.Bootstrap()...), kgo.DialTimeout(time.Second)); err != nil {
		return nil, err
	}
	seeds := 0
	for _, n := range plan.Nodes {
		b := &Broker{
			opts:           Options{Dir: n.Dir, LogPath: filepath.Join(n.Dir, "strom.log"), Binary: opts.Binary, ReadyTimeout: opts.ReadyTimeout, Overrides: opts.Overrides},
			id:             n.ID,
			addr:           n.ReadyAddr(),
			controllerAddr: n.ControllerAddr(),
			controllerOnly: !n.Broker,
			seed:           -1,
			args:           append([]string{"serve", "--config", n.ConfigPath()}, overrideArgs(opts.Overrides)...),
		}
		if opts.Wrap != nil {
			b.wrap = opts.Wrap(n.ID)
		}
		if n.Broker {
			b.seed = seeds // Bootstrap lists the brokers in node order
			seeds++
		}
		c.Nodes = append(c.Nodes, b)
		logf, err := os.Create(b.opts.LogPath)
		if err == nil {
			err = b.spawn(logf)
		}
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("starting node %d: %w", n.ID, err)
		}
	}
	deadline := time.Now().Add(opts.ReadyTimeout)
	for _, b := range c.Nodes {
		if err := b.waitReady(deadline); err != nil {
			c.Close()
			return nil, fmt.Errorf("%w\n%s", err, c.LogTails(40))
		}
	}
	if err := c.waitBrokers(deadline); err != nil {
		c.Close()
		return nil, fmt.Errorf("cluster of %d nodes not formed within %v: %w\n%s", opts.Nodes, opts.ReadyTimeout, err, c.LogTails(40))
	}
	return c, nil
}

// waitBrokers polls until every running node's metadata lists every node
// as a broker.
func (c *Cluster) waitBrokers(deadline time.Time) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		err := c.allListed(ctx)
		cancel()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		<-tick.C
	}
}

func (c *Cluster) allListed(ctx context.Context) error {
	per, err := c.Brokers(ctx)
	if err != nil {
		return err
	}
	want := len(c.plan.Brokers())
	for id, listed := range per {
		if len(listed) != want {
			return fmt.Errorf("node %d lists brokers %v, want all %d", id, listed, want)
		}
	}
	return nil
}

// Bootstrap is every broker's client address, in node order: the seed
// list for a client.
func (c *Cluster) Bootstrap() []string { return c.plan.Bootstrap() }

// Node returns the node with the given node.id, or nil.
func (c *Cluster) Node(id int32) *Broker {
	if id < 1 || int(id) > len(c.Nodes) {
		return nil
	}
	return c.Nodes[id-1]
}

// BrokerIDs are the node.ids of the nodes with the broker role.
func (c *Cluster) BrokerIDs() []int32 {
	var ids []int32
	for _, n := range c.plan.Brokers() {
		ids = append(ids, n.ID)
	}
	return ids
}

// Running is the node.ids of the nodes whose process runs.
func (c *Cluster) Running() []int32 {
	var ids []int32
	for _, b := range c.Nodes {
		if b.Running() {
			ids = append(ids, b.id)
		}
	}
	return ids
}

// LogTails returns the last n log lines of every node, each under a header
// naming the node, for failure messages.
func (c *Cluster) LogTails(n int) string {
	var sb strings.Builder
	for _, b := range c.Nodes {
		state := "running"
		if !b.Running() {
			state = "not running"
		}
		fmt.Fprintf(&sb, "=== node %d (%s, %s) ===\n%s\n", b.id, b.addr, state, b.LogTail(n))
	}
	return sb.String()
}

// Close kills every running node and closes the cluster's client; calling
// it again does nothing. It suits t.Cleanup(c.Close).
func (c *Cluster) Close() {
	c.closeOnce.Do(func() {
		for _, b := range c.Nodes {
			// A node may exit between Running and Kill, which then errs;
			// either way it is not running afterwards.
			if b.Running() {
				_ = b.Kill()
			}
		}
		if c.admin != nil {
			c.admin.Close()
		}
	})
}
