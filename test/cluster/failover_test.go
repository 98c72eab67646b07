package cluster

import (
	"testing"

	"github.com/strom-project/strom/internal/teststrom"
)

// TestKillPartitionLeader SIGKILLs the leader of partition 0 again and
// again under an acks=all producer: a follower in the ISR must take over
// with every acknowledged record, at the offset it was acknowledged at.
func TestKillPartitionLeader(t *testing.T) { runNemesis(t, partitionLeader) }

// TestKillActiveController SIGKILLs the active controller (a broker too)
// again and again: the quorum must elect another, which must move the
// killed node's partitions to live replicas without losing a record.
func TestKillActiveController(t *testing.T) { runNemesis(t, activeController) }

// TestKillDedicatedController runs three controller-only nodes and three
// brokers (observers of the metadata log) and SIGKILLs the active
// controller again and again: the brokers keep serving and writing without
// a pause they could notice, and register and heartbeat with whichever
// controller the quorum elects.
func TestKillDedicatedController(t *testing.T) {
	runNemesis(t, dedicatedController, teststrom.ClusterOptions{Nodes: 2 * nodes, Voters: nodes, DedicatedControllers: true})
}

// runNemesis runs nem against a cluster of opts (default: nodes combined
// nodes).
func runNemesis(t *testing.T, nem nemesis, opts ...teststrom.ClusterOptions) {
	c := startCluster(t, opts...)
	e := &env{t: t, c: c, topic: createTopic(t, c), led: newLedger()}
	p := startProducer(t, c, e.topic, e.led)
	rs, flushed := e.run(nem, p)
	ops := e.led.snapshot()
	rep := check(ops, readLog(t, c, e.topic))
	logResults(t, summarize(nem.name, rs, rep, ops), rs)
	if !flushed {
		t.Errorf("the producer could not flush within %v of a settled cluster; %s", produceTimeout, e.led.status())
	}
	if err := rep.failures(); err != nil {
		t.Error(err)
	}
}
