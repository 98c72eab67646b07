package durability

import (
	"fmt"
	"testing"
	"time"
)

// killAcks is how many acknowledgements each session waits for before the
// broker is killed under it.
const killAcks = 20000

// TestKillDuringProduce kills the broker with SIGKILL while an idempotent
// acks=all producer streams to it, restarts it on the same data directory and
// checks that every acknowledged value is there exactly once, in order, at
// contiguous offsets. SIGKILL keeps the page cache, so this holds without an
// fsync per ack as well as with one. In the -producer-resends cases the
// producer stops hearing responses before the crash and lives on after it:
// it resends batches the broker wrote but never got to acknowledge, and the
// restarted broker must recognise them from the producer state it recovered
// (column "resent": how many records that was; dup must stay 0).
func TestKillDuringProduce(t *testing.T) {
	var tb table
	defer tb.log(t)
	flush1 := []string{"log.flush.interval.messages=1"}
	for _, tc := range []cycleSpec{
		{name: "page-cache", cycles: 1},
		{name: "flush-every-message", overrides: flush1, cycles: 1},
		{name: "page-cache-producer-resends", cycles: 1, resend: true},
		{name: "flush-every-message-producer-resends", overrides: flush1, cycles: 1, resend: true},
	} {
		t.Run(tc.name, func(t *testing.T) { killCycles(t, &tb, tc) })
	}
}

// TestRepeatedKill kills and restarts the broker three times, producing a new
// session in between: each restart must keep everything read after the last
// one (the log only grows), and no producer id may be handed out twice. Small
// segments and larger values make segments roll between and across crashes.
func TestRepeatedKill(t *testing.T) {
	var tb table
	defer tb.log(t)
	for _, tc := range []cycleSpec{
		{name: "3-cycles", cycles: 3, pad: 100, overrides: []string{"log.segment.bytes=1048576"}},
		{name: "3-cycles-flush-every-message", cycles: 3, pad: 100,
			overrides: []string{"log.segment.bytes=1048576", "log.flush.interval.messages=1"}},
	} {
		t.Run(tc.name, func(t *testing.T) { killCycles(t, &tb, tc) })
	}
}

type cycleSpec struct {
	name      string
	overrides []string
	cycles    int
	pad       int  // value bytes after the id
	resend    bool // the producer goes deaf, then lives on across the restart
}

// killCycles runs spec.cycles rounds of produce → SIGKILL mid-stream →
// restart → verify on one broker, adding a row per round, then stops the
// broker cleanly.
func killCycles(t *testing.T, tb *table, spec cycleSpec) {
	t.Helper()
	b := startBroker(t, spec.overrides...)
	topic := createTopic(t, b)
	led := &ledger{}
	var prev map[int32]*partitionLog
	for c := 1; c <= spec.cycles; c++ {
		sp := session{topic: topic, partitions: partitions, acks: killAcks, pad: spec.pad, interrupt: b.Kill}
		var took time.Duration
		unheard := int64(-1)
		if spec.resend {
			sp.deafen = true
			sp.resume = func() error {
				start := time.Now()
				err := b.Restart()
				took = time.Since(start)
				return err
			}
			unheard = sp.produce(t, b, led)
		} else {
			sp.produce(t, b, led)
			took = restart(t, b)
		}
		r, logs := verify(t, b, led, topic, prev, fmt.Sprintf("%s/%d", spec.name, c), took)
		r.resent = unheard
		tb.add(r)
		for p := range partitions {
			if prev != nil && logs[p].end <= prev[p].end {
				t.Errorf("cycle %d: partition %d ends at %d, not after %d as before the crash", c, p, logs[p].end, prev[p].end)
			}
		}
		prev = logs
	}
	if err := b.Stop(); err != nil {
		t.Errorf("stop after %d crashes: %v", spec.cycles, err)
	}
}
