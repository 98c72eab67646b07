// Package fault is Strom's Jepsen-style fault-injection suite: a real
// three-node cluster of `strom serve` processes, a workload whose every
// operation is logged, faults applied on a schedule drawn from a seed, and
// a checker that reads the history afterwards.
//
// One run (run_test.go) is one fault kind with one seed:
//
//  1. start the cluster (internal/teststrom; failover timeouts lowered)
//     and a topic of 3 partitions, RF 3, min.insync.replicas=2;
//  2. run the queue workload (queue_test.go): an idempotent acks=all
//     franz-go producer sends unique values, and two readers consume every
//     partition by assignment from the start; each operation goes to the
//     history as invoke / ok / fail / info (history_test.go), also written
//     as JSONL next to the nodes' logs;
//  3. apply the fault kind (nemesis_test.go) again and again: wait, inject
//     (kill a partition leader, pause the controller, cut links with nft in
//     per-node network namespaces (netns_test.go), fill a node's tmpfs
//     (disk_test.go), damage a crashed node's segments (corrupt_test.go),
//     ...), hold, heal, wait until the cluster has settled;
//  4. heal everything, let the producer flush, drain the readers to the
//     end of the log, read the log back once more;
//  5. check (check_test.go) with Jepsen's vocabulary: lost, unseen,
//     duplicate, inconsistent offsets, poll skip, non-monotonic poll and
//     send, and the longest unavailability; log a table and one
//     "FAULT-RESULT {json}" line.
//
// Every wait is bounded, and teardown kills every process (a paused one
// too). TestFaults runs the short matrix (one seed per fault kind) in CI;
// STROM_FAULT_SEEDS=3 STROM_FAULT_DURATION=60s (`make fault`) runs the long
// one, whose results docs/reliability.md records.
package fault
