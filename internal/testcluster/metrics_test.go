package testcluster

import (
	"fmt"
	"testing"

	"github.com/strom-project/strom/internal/metrics/metricstest"
	"github.com/strom-project/strom/internal/testutil"
)

// TestUnderReplicatedPartitionsMetric: with one of three nodes stopped,
// every partition of an RF=3 topic is under-replicated, counted once, by
// the node that leads it; once the node is back and has caught up, none
// is, and the leaders counted its return to the ISRs. The metrics are read
// over HTTP from each node's admin listener.
func TestUnderReplicatedPartitionsMetric(t *testing.T) {
	c := Start(t, Options{Nodes: 3})
	const topic, partitions = "metrics-urp", 3
	createTopic(t, c, topic, partitions, 3)
	produce(t, c, topic, 0, 300)
	waitClusterMetric(t, c, "strom_under_replicated_partitions", 0)
	waitClusterMetric(t, c, "strom_partition_leaders", partitions)
	waitClusterMetric(t, c, "strom_controller_active", 1)

	c.Stop(2)
	waitClusterMetric(t, c, "strom_under_replicated_partitions", partitions)
	waitClusterMetric(t, c, "strom_partition_leaders", partitions) // leadership moved, nothing offline
	produce(t, c, topic, 300, 400)

	c.Restart(2)
	waitClusterMetric(t, c, "strom_under_replicated_partitions", 0)
	waitClusterMetric(t, c, "strom_partitions", 3*partitions)
	// The controller took node 3 out of the ISRs as it shut down; the
	// leaders put it back, one committed expansion per partition.
	waitClusterMetric(t, c, "strom_isr_expands_total", partitions)
}

// waitClusterMetric waits until the sum of an unlabelled metric over the
// running nodes is want.
func waitClusterMetric(t *testing.T, c *Cluster, name string, want float64) {
	t.Helper()
	testutil.WaitFor(t, opTimeout, func() error {
		sum, per := 0.0, ""
		for i := range c.nodes {
			b := c.Broker(i)
			if b == nil {
				continue
			}
			f, err := metricstest.Scrape("http://" + b.AdminAddr().String() + "/metrics")
			if err != nil {
				return err
			}
			v, ok := f.Value(name)
			if !ok {
				return fmt.Errorf("node %d exports no %s", i+1, name)
			}
			sum += v
			per += fmt.Sprintf(" node%d=%v", i+1, v)
		}
		if sum != want {
			return fmt.Errorf("sum of %s is %v (%s), want %v", name, sum, per, want)
		}
		return nil
	})
}
