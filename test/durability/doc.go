// Package durability crashes real `strom serve` processes while a Kafka
// client writes to them, restarts them on the same data directory, and checks
// what survived against what was acknowledged.
//
// Every test starts its own broker through package internal/teststrom and
// talks to it with franz-go only. A producer session (acks=all, idempotent,
// one client) writes unique values "sNN-QQQQQQQQ" (session NN, sequence
// QQQQQQQQ) to a 3-partition topic, partition = sequence mod 3, and records
// which values were acknowledged (promise without error). The log is then read
// from the start of every partition by assignment and checked:
//
//	lost        acknowledged, not in the log                      must be 0
//	dup         one value at two offsets                          must be 0
//	order       a partition's values not in produce order         must be 0
//	gaps        offsets not contiguous from the log start offset  must be 0
//	unknown     a value never attempted, or in the wrong partition must be 0
//	rewritten   an offset read before a crash now holds another value must be 0
//	pid         a producer id used by two sessions (or none)      must be 0
//	in-doubt    sent, never acknowledged, yet in the log          allowed
//
// A SIGKILL keeps the page cache, so even with the default flush policy (no
// fsync before the ack) nothing acknowledged may be lost; the tests cover that
// and log.flush.interval.messages=1. Power loss is not simulated here.
//
//	kill_test.go       SIGKILL mid-stream, once per flush policy, and 3 cycles;
//	                   "-producer-resends": the producer outlives the crash and
//	                   resends batches the broker wrote but never acknowledged
//	torntail_test.go   garbage or a torn batch after the last batch of a segment
//	shutdown_test.go   SIGTERM (idle and mid-stream): the clean-shutdown marker
//	producer_test.go   a producer session; ledger_test.go what it sent and had acked
//	deaf_test.go       a dialer whose connections can stop delivering responses
//	verify_test.go     reading a topic back and the checker; check_test.go tests it
//	groups_kill_test.go     a consumer-group member process SIGKILLed: expelled
//	                        after its session timeout, partitions reassigned
//	groups_offsets_test.go  committed group offsets across a broker SIGKILL
//	groups_member_test.go   a group member run as a re-executed test binary
//
// Each test logs a results table (acked, recovered, lost, ..., restart time,
// bytes recovery truncated as the broker logged it: data cut off, not the
// zero tail of a preallocated segment). Run with:
//
//	go test -race -count=1 ./test/durability/ -v
package durability
