// Package cluster kills nodes of a real three-node Strom cluster while a
// Kafka client writes to it, and checks that nothing acknowledged was lost,
// moved or duplicated.
//
// Every test starts its own cluster of `strom serve` processes through
// internal/teststrom (3 nodes, each broker and controller, failover timeouts
// lowered: broker.session.timeout.ms=2500, broker.heartbeat.interval.ms=250,
// replica.lag.time.max.ms=3000) and creates a topic with 3 partitions,
// replication factor 3 and min.insync.replicas=2. One idempotent acks=all
// franz-go producer writes unique values "vQQQQQQQQQ" (sequence Q,
// partition Q mod 3) at a steady rate for the whole test and records each
// attempt, each acknowledgement with its partition and offset, and each
// failure. Meanwhile a nemesis runs rounds of:
//
//	kill      SIGKILL the victim: the leader of partition 0
//	          (TestKillPartitionLeader) or the active controller, the
//	          quorum leader every node reports in DescribeQuorum
//	          (TestKillActiveController)
//	elect     wait until the cluster names another leader for every
//	          partition (and another controller)
//	resume    wait until every partition has taken a write again
//	restart   restart the victim on its ports and data
//	rejoin    wait until every replica is back in every ISR
//
// Afterwards the producer stops and every partition is read from its start
// to its high watermark by assignment (read_uncommitted) and checked:
//
//	lost          acknowledged, not in the log                     must be 0
//	moved         acknowledged at one offset, found at another     must be 0
//	dup           one value at two offsets                         must be 0
//	order         a partition's values not in produce order        must be 0
//	gaps          offsets not contiguous from the log start        must be 0
//	unknown       a value never sent, or in the wrong partition    must be 0
//	unacked-present  failed or unanswered, yet in the log          allowed
//
// Each test logs a table per round (victim, partitions it led, time from
// the kill to the first write a new leader accepted, to a new controller,
// to writes on every partition, restart and rejoin times) and one
// machine-readable line, "CLUSTER-RESULT {json}", with the totals and the
// longest a single record waited for its acknowledgement.
//
// TestExactlyOnceCopy (eos_test.go) kills brokers and a transactional copy
// job (this test binary re-executed, eos_copier_test.go) while it copies an
// input topic to an output topic, then checks the output read_committed
// against the input (every value once, nothing else) and a read_committed
// reader that ran throughout against the final log (no aborted reads), and
// logs "EOS-RESULT {json}".
//
//	nemesis_test.go    the rounds and their measurements
//	producer_test.go   the producer; ledger_test.go what it sent and had acked
//	verify_test.go     reading the topic back and the checker; check_test.go tests it
//	results_test.go    the table and the CLUSTER-RESULT line
//
// Run with:
//
//	go test -race -count=1 ./test/cluster/ -v
//
// With -short each test runs 2 rounds instead of 5.
package cluster
