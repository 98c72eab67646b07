package dev

import (
	"cmp"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/strom-project/strom/internal/cli/dev/layout"
	"github.com/strom-project/strom/internal/config"
)

// maxNodes bounds --nodes: a local cluster shares one machine's cores.
const maxNodes = 16

// clusterFlags are `strom dev cluster`'s flags.
type clusterFlags struct {
	nodes              int
	voters             int
	dedicated          bool
	dir                string
	basePort           int
	controllerBasePort int
	adminBasePort      int
	overrides          []string
	timeout            time.Duration
}

func newClusterCommand() *cobra.Command {
	var f clusterFlags
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Start a local N-node cluster; Ctrl-C stops it",
		Long: `Start a local cluster of --nodes nodes, each a "strom serve" child process
that is both broker and metadata-quorum voter, on loopback ports: node N
serves clients on --base-port+N-1 and the quorum on --controller-base-port+N-1.
With --voters V only the first V nodes are voters and the others are
broker-only nodes that follow the metadata log as observers; with
--dedicated-controllers the V voters run as controllers only, as in a
production KRaft cluster.
Each node gets --dir/node-N/server.properties (Kafka's names; look inside)
and keeps its data in --dir/node-N/data. Topics default to replication
factor min(3, nodes); with 3 or more nodes min.insync.replicas is 2, so one
node may fail without losing acks=all writes.

Once every node answers, the bootstrap servers are printed. Every node's
output is shown prefixed with [node-N] and appended to --dir/node-N/strom.log.
A node that dies is reported and the others keep running. Ctrl-C (or SIGTERM)
stops all nodes cleanly. Running the command again with the same --dir and
--nodes restarts the cluster on its data.`,
		Example: `  strom dev cluster
  strom dev cluster --nodes 5 --dir /tmp/strom5 --base-port 29092 --controller-base-port 29192
  strom dev cluster --override num.partitions=6 --override log.retention.ms=3600000
  strom dev cluster --nodes 6 --voters 3 --dedicated-controllers   # 3 controllers, 3 brokers

  # in another terminal, against the cluster:
  export STROM_BROKERS=127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094
  strom topic create orders -p 6 -r 3
  strom cluster health`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			plan, settings, err := f.plan()
			if err != nil {
				return err
			}
			exe, err := os.Executable()
			if err != nil {
				return fmt.Errorf("finding the strom binary to run: %w", err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return run(ctx, runSpec{
				plan: plan, settings: settings, exe: exe, timeout: f.timeout,
				stdout: cmd.OutOrStdout(), stderr: cmd.ErrOrStderr(),
			})
		},
	}
	fs := cmd.Flags()
	fs.IntVarP(&f.nodes, "nodes", "n", 3, "number of nodes (1-16)")
	fs.IntVar(&f.voters, "voters", 0, "how many nodes (the first ones) are metadata quorum voters; the rest are broker-only observers (default: all)")
	fs.BoolVar(&f.dedicated, "dedicated-controllers", false, "run the voters as controllers only (process.roles=controller); the other nodes are the brokers")
	fs.StringVar(&f.dir, "dir", "./strom-dev", "directory of the nodes' configuration, data and logs; reused by the next run")
	fs.IntVar(&f.basePort, "base-port", 9092, "client port of node 1; node N uses base-port+N-1")
	fs.IntVar(&f.controllerBasePort, "controller-base-port", 19093, "quorum (CONTROLLER listener) port of node 1; node N uses this+N-1")
	fs.IntVar(&f.adminBasePort, "admin-base-port", 9644, "admin listener (/metrics, /health, /ready) of node 1; node N uses this+N-1; 0 picks free ports")
	fs.StringArrayVar(&f.overrides, "override", nil, "set a config on every node, key=value (repeatable), as strom serve --override")
	fs.DurationVar(&f.timeout, "timeout", time.Minute, "how long to wait for every node to answer")
	return cmd
}

// plan validates the flags and returns the cluster's layout and the
// settings every node gets on top of the layout's.
func (f clusterFlags) plan() (layout.Cluster, map[string]string, error) {
	if f.nodes < 1 || f.nodes > maxNodes {
		return layout.Cluster{}, nil, fmt.Errorf("--nodes %d: want 1 to %d", f.nodes, maxNodes)
	}
	if f.timeout <= 0 {
		return layout.Cluster{}, nil, fmt.Errorf("--timeout %v: want a positive duration", f.timeout)
	}
	if f.dir == "" {
		return layout.Cluster{}, nil, fmt.Errorf("--dir is empty")
	}
	if err := f.checkPorts(); err != nil {
		return layout.Cluster{}, nil, err
	}
	settings := map[string]string{
		// Segments are preallocated: Kafka's 1 GiB default would reserve a
		// gigabyte of disk per partition replica.
		"log.segment.bytes": "8388608",
	}
	if brokers := f.brokers(); brokers >= 3 {
		settings["min.insync.replicas"] = "2"
	}
	for _, o := range f.overrides {
		k, v, err := config.ParseOverride(o)
		if err != nil {
			return layout.Cluster{}, nil, err
		}
		if slices.Contains(layout.PerNode, k) {
			return layout.Cluster{}, nil, fmt.Errorf("--override %s: strom dev cluster sets it for each node itself (see --dir, --base-port, --controller-base-port)", k)
		}
		settings[k] = v
	}
	dir, err := filepath.Abs(f.dir)
	if err != nil {
		return layout.Cluster{}, nil, fmt.Errorf("--dir %s: %w", f.dir, err)
	}
	plan, err := layout.Sequential(dir, f.nodes, f.basePort, f.controllerBasePort)
	if err != nil {
		return layout.Cluster{}, nil, err
	}
	plan.SetAdminPorts(f.adminBasePort)
	if f.voters != 0 || f.dedicated {
		if err := plan.SetRoles(cmp.Or(f.voters, f.nodes), f.dedicated); err != nil {
			return layout.Cluster{}, nil, fmt.Errorf("--voters %d --dedicated-controllers=%v with --nodes %d: want 1 to %d voters and at least one broker",
				cmp.Or(f.voters, f.nodes), f.dedicated, f.nodes, f.nodes)
		}
	}
	for i, n := range plan.Nodes {
		if _, err := config.New(plan.Properties(i, settings)); err != nil {
			return layout.Cluster{}, nil, fmt.Errorf("node %d: %w", n.ID, err)
		}
	}
	return plan, settings, nil
}

// brokers is the number of nodes with the broker role.
func (f clusterFlags) brokers() int {
	if f.dedicated {
		return f.nodes - cmp.Or(f.voters, f.nodes)
	}
	return f.nodes
}

// checkPorts rejects port ranges that leave 1..65535 or overlap.
func (f clusterFlags) checkPorts() error {
	last := func(base int) int { return base + f.nodes - 1 }
	type portFlag struct {
		flag string
		base int
	}
	flags := []portFlag{{"--base-port", f.basePort}, {"--controller-base-port", f.controllerBasePort}}
	if f.adminBasePort != 0 {
		flags = append(flags, portFlag{"--admin-base-port", f.adminBasePort})
	}
	for i, p := range flags {
		if p.base < 1 || last(p.base) > 65535 {
			return fmt.Errorf("%s %d: %d nodes need ports %d-%d, within 1-65535", p.flag, p.base, f.nodes, p.base, last(p.base))
		}
		for _, q := range flags[:i] {
			if p.base <= last(q.base) && q.base <= last(p.base) {
				return fmt.Errorf("%s ports %s and %s ports %s overlap: move one of them", q.flag, portRange(q.base, last(q.base)),
					p.flag, portRange(p.base, last(p.base)))
			}
		}
	}
	return nil
}

func portRange(first, last int) string {
	if first == last {
		return strconv.Itoa(first)
	}
	return fmt.Sprintf("%d-%d", first, last)
}

// checkDir refuses a directory that holds a cluster of another size: the
// quorum's voters are fixed when a cluster first starts.
func checkDir(plan layout.Cluster) error {
	dir := filepath.Dir(plan.Nodes[0].Dir)
	found, err := filepath.Glob(filepath.Join(dir, "node-*", "server.properties"))
	if err != nil || len(found) == 0 {
		return err
	}
	var extra []string
	for _, f := range found {
		name := filepath.Base(filepath.Dir(f))
		id, err := strconv.Atoi(name[len("node-"):])
		if err != nil || id > len(plan.Nodes) {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 || len(found) < len(plan.Nodes) {
		return fmt.Errorf("%s holds a %d-node cluster (%d server.properties), not a %d-node one: run with --nodes %d, or use another --dir",
			dir, len(found), len(found), len(plan.Nodes), len(found))
	}
	return nil
}
