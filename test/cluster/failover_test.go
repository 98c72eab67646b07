package cluster

import "testing"

// TestKillPartitionLeader SIGKILLs the leader of partition 0 again and
// again under an acks=all producer: a follower in the ISR must take over
// with every acknowledged record, at the offset it was acknowledged at.
func TestKillPartitionLeader(t *testing.T) { runNemesis(t, partitionLeader) }

// TestKillActiveController SIGKILLs the active controller (a broker too)
// again and again: the quorum must elect another, which must move the
// killed node's partitions to live replicas without losing a record.
func TestKillActiveController(t *testing.T) { runNemesis(t, activeController) }

func runNemesis(t *testing.T, nem nemesis) {
	c := startCluster(t)
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
