package fault

import (
	"testing"
	"time"
)

// TestCheckCountsAnomalies feeds check a hand-made history and log, one
// anomaly each, so a checker that never fires cannot pass for a cluster
// that loses or reorders data.
func TestCheckCountsAnomalies(t *testing.T) {
	type fixture struct {
		ops   []op
		final map[int32][]msg
	}
	at := func(ms int) time.Duration { return time.Duration(ms) * time.Millisecond }
	good := func() fixture {
		var f fixture
		add := func(o op) { o.Index = len(f.ops); f.ops = append(f.ops, o) }
		// a, b to partition 0 (offsets 0, 1); c to partition 1 (offset 0),
		// all acknowledged; d indeterminate, and in the log.
		for i, v := range []string{"a", "b", "c", "d"} {
			add(op{Process: "producer", Type: invoke, F: "send", Partition: int32(i / 2), Value: v, At: at(i * 10)})
		}
		add(op{Process: "producer", Type: ok, F: "send", Partition: 0, Value: "a", Offset: 0, At: at(100)})
		add(op{Process: "producer", Type: ok, F: "send", Partition: 0, Value: "b", Offset: 1, At: at(110)})
		add(op{Process: "producer", Type: ok, F: "send", Partition: 1, Value: "c", Offset: 0, At: at(120)})
		add(op{Process: "producer", Type: info, F: "send", Partition: 1, Value: "d", Offset: -1, At: at(130)})
		add(op{Process: "reader-1", Type: ok, F: "poll", Polled: []msg{{0, 0, "a"}, {0, 1, "b"}, {1, 0, "c"}, {1, 1, "d"}}})
		f.final = map[int32][]msg{0: {{0, 0, "a"}, {0, 1, "b"}}, 1: {{1, 0, "c"}, {1, 1, "d"}}}
		return f
	}
	for _, tc := range []struct {
		name   string
		mutate func(f *fixture)
		count  func(r result) int
		want   int
	}{
		{"clean", func(*fixture) {}, func(r result) int {
			return r.Lost + r.Unseen + r.Duplicates + r.Unknown + r.Inconsistent + r.PollSkips + r.NonMonoPolls + r.NonMonoSends
		}, 0},
		{"acked", func(*fixture) {}, func(r result) int { return r.Acked }, 3},
		{"recovered", func(*fixture) {}, func(r result) int { return r.Recovered }, 1},
		{"max ack wait", func(*fixture) {}, func(r result) int { return int(r.MaxAckWaitMs) }, 100},
		{"lost", func(f *fixture) { f.final[0] = f.final[0][:1]; f.ops[8].Polled = f.ops[8].Polled[:1] }, func(r result) int { return r.Lost }, 1},
		{"duplicate", func(f *fixture) { f.final[0] = append(f.final[0], msg{0, 2, "a"}) }, func(r result) int { return r.Duplicates }, 1},
		{"unknown", func(f *fixture) { f.final[1] = append(f.final[1], msg{1, 2, "zz"}) }, func(r result) int { return r.Unknown }, 1},
		{"moved", func(f *fixture) { f.ops[5].Offset = 3 }, func(r result) int { return r.Inconsistent }, 1},
		{"unseen", func(f *fixture) { f.ops[8].Polled = f.ops[8].Polled[:3] }, func(r result) int { return r.Unseen }, 1},
		{"poll skip", func(f *fixture) { f.ops[8].Polled = []msg{{0, 1, "b"}, {1, 0, "c"}, {1, 1, "d"}} }, func(r result) int { return r.PollSkips }, 1},
		{"non-monotonic poll", func(f *fixture) {
			f.ops = append(f.ops, op{Index: 9, Process: "reader-1", Type: ok, F: "poll", Polled: []msg{{0, 0, "a"}}})
		}, func(r result) int { return r.NonMonoPolls }, 1},
		{"non-monotonic send", func(f *fixture) {
			f.ops[4].Offset, f.ops[5].Offset = 1, 0
			f.final[0] = []msg{{0, 0, "b"}, {0, 1, "a"}}
			f.ops[8].Polled = []msg{{0, 0, "b"}, {0, 1, "a"}, {1, 0, "c"}, {1, 1, "d"}}
		}, func(r result) int { return r.NonMonoSends }, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := good()
			tc.mutate(&f)
			r := check(f.ops, f.final)
			if got := tc.count(r); got != tc.want {
				t.Errorf("count = %d, want %d; %+v %v", got, tc.want, r, r.anomalies)
			}
		})
	}
}
