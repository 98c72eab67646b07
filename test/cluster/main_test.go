package cluster

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strom-project/strom/internal/teststrom"
)

// Bounds for the steps of a test; nothing here waits by sleeping.
const (
	readyTimeout   = 60 * time.Second // the cluster forming; a node restarting
	settleTimeout  = 60 * time.Second // leaders, full ISRs and one controller
	electTimeout   = 30 * time.Second // a new leader or controller after a kill
	resumeTimeout  = 60 * time.Second // writes accepted on every partition again
	produceTimeout = 60 * time.Second // the producer flushing what it has buffered
	readTimeout    = 2 * time.Minute  // reading a whole topic back
	closeTimeout   = 30 * time.Second // a franz-go client closing
)

// nodes is the cluster size; partitions the topic's partition count.
const (
	nodes      = 3
	partitions = 3
)

// failover are the lowered timeouts every test cluster runs with.
var failover = []string{
	"broker.session.timeout.ms=2500",
	"broker.heartbeat.interval.ms=250",
	"replica.lag.time.max.ms=3000",
	"min.insync.replicas=2",
}

func TestMain(m *testing.M) {
	if spec := os.Getenv(copierEnv); spec != "" {
		os.Exit(copierMain(spec)) // this process is TestExactlyOnceCopy's copier
	}
	code := m.Run()
	teststrom.RemoveBinary()
	os.Exit(code)
}

// startCluster starts a 3-node cluster (or the roles given) with the
// failover settings. When t
// ends every node is killed, a race report in a node's log fails t, and a
// failed t gets every node's log tail.
func startCluster(t *testing.T, roles ...teststrom.ClusterOptions) *teststrom.Cluster {
	t.Helper()
	if _, err := teststrom.Build(t.Context()); err != nil {
		t.Fatalf("building strom: %v", err)
	}
	opts := teststrom.ClusterOptions{Nodes: nodes}
	if len(roles) > 0 {
		opts = roles[0] // Nodes, Voters, DedicatedControllers, extra Overrides
	}
	opts.Dir, opts.ReadyTimeout = t.TempDir(), readyTimeout
	opts.Overrides = append(slices.Clone(failover), opts.Overrides...)
	c, err := teststrom.StartCluster(opts)
	if err != nil {
		t.Fatalf("starting a %d-node cluster: %v", opts.Nodes, err)
	}
	t.Cleanup(func() {
		c.Close()
		for _, b := range c.Nodes {
			if b.LogContains("WARNING: DATA RACE") {
				t.Errorf("the race detector fired in node %d\n%s", b.NodeID(), b.LogTail(200))
			}
		}
		if t.Failed() {
			t.Log(c.LogTails(60))
		}
	})
	return c
}

// newClient returns a client seeded with every node, closed when t ends.
func newClient(t *testing.T, c *teststrom.Cluster, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.Bootstrap()...), kgo.MetadataMinAge(100 * time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatalf("kgo.NewClient: %v", err)
	}
	t.Cleanup(func() { closeClient(t, cl) })
	return cl
}

// createTopic creates the test's topic, RF=3 and min.insync.replicas=2, and
// waits until every partition has a leader and a full ISR.
func createTopic(t *testing.T, c *teststrom.Cluster) string {
	t.Helper()
	return createTopicNamed(t, c, "cluster-"+strings.NewReplacer("/", "-", "_", "-").Replace(strings.ToLower(t.Name())))
}

// createTopicNamed is createTopic with the topic's name given.
func createTopicNamed(t *testing.T, c *teststrom.Cluster, topic string) string {
	t.Helper()
	adm := kadm.NewClient(newClient(t, c))
	ctx, cancel := context.WithTimeout(t.Context(), readyTimeout)
	defer cancel()
	minISR := "2"
	resp, err := adm.CreateTopic(ctx, partitions, nodes, map[string]*string{"min.insync.replicas": &minISR}, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("CreateTopic %s: %v\n%s", topic, err, c.LogTails(40))
	}
	if err := settled(t.Context(), c, topic); err != nil {
		t.Fatalf("topic %s: %v\n%s", topic, err, c.LogTails(40))
	}
	return topic
}

// closeClient closes cl, failing t if that does not return within closeTimeout.
func closeClient(t *testing.T, cl *kgo.Client) {
	t.Helper()
	closed := make(chan struct{})
	go func() { cl.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(closeTimeout):
		t.Errorf("franz-go client did not close within %v", closeTimeout)
	}
}

func ms(d time.Duration) string {
	if d < 0 {
		return "-"
	}
	return fmt.Sprint(d.Round(time.Millisecond))
}
