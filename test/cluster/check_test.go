package cluster

import (
	"testing"
	"time"
)

// TestCheckCountsAnomalies feeds check hand-made logs, one anomaly each, so
// a checker that never fires cannot pass for a cluster that loses data.
func TestCheckCountsAnomalies(t *testing.T) {
	now := time.Now()
	// Values 0..5 to partitions seq mod 3; all acked but 5, which failed.
	ops := make([]op, 6)
	for seq := range ops {
		ops[seq] = op{partition: int32(seq % 3), invoked: now, done: now.Add(time.Duration(seq) * time.Millisecond), acked: seq != 5, offset: int64(seq / 3)}
	}
	rec := func(off int64, seq int) logRecord { return logRecord{offset: off, value: value(seq)} }
	good := func() map[int32]*partitionLog {
		return map[int32]*partitionLog{
			0: {start: 0, end: 2, records: []logRecord{rec(0, 0), rec(1, 3)}},
			1: {start: 0, end: 2, records: []logRecord{rec(0, 1), rec(1, 4)}},
			2: {start: 0, end: 1, records: []logRecord{rec(0, 2)}},
		}
	}
	for _, tc := range []struct {
		name   string
		mutate func(logs map[int32]*partitionLog)
		count  func(r report) int
		want   int
	}{
		{"clean", func(map[int32]*partitionLog) {}, func(r report) int { return r.lost + r.moved + r.dup + r.order + r.gaps + r.unknown }, 0},
		{"acked", func(map[int32]*partitionLog) {}, func(r report) int { return r.acked }, 5},
		{"failed", func(map[int32]*partitionLog) {}, func(r report) int { return r.failed }, 1},
		{"unacked present", func(l map[int32]*partitionLog) { l[2].records = append(l[2].records, rec(1, 5)) }, func(r report) int { return r.unackedPresent }, 1},
		{"lost", func(l map[int32]*partitionLog) { l[1].records = l[1].records[:1] }, func(r report) int { return r.lost }, 1},
		{"moved", func(l map[int32]*partitionLog) {
			l[0].records = []logRecord{rec(0, 0), {offset: 1, value: []byte("garbage")}, rec(2, 3)}
		}, func(r report) int { return r.moved }, 1},
		{"dup", func(l map[int32]*partitionLog) { l[0].records = append(l[0].records, rec(2, 3)) }, func(r report) int { return r.dup }, 1},
		{"order", func(l map[int32]*partitionLog) { l[1].records = []logRecord{rec(0, 4), rec(1, 1)} }, func(r report) int { return r.order }, 1},
		{"gap", func(l map[int32]*partitionLog) { l[2].records[0].offset = 1 }, func(r report) int { return r.gaps }, 1},
		{"unknown", func(l map[int32]*partitionLog) { l[2].records = append(l[2].records, rec(1, 4)) }, func(r report) int { return r.unknown }, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs := good()
			tc.mutate(logs)
			r := check(ops, logs)
			if got := tc.count(r); got != tc.want {
				t.Errorf("count = %d, want %d; report %+v", got, tc.want, r)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	now := time.Now()
	var ops []op
	for i := range 200 {
		ops = append(ops, op{acked: i != 7, invoked: now, done: now.Add(time.Duration(i) * time.Millisecond)})
	}
	rs := []round{
		{n: 1, victim: 2, electLeader: 1500 * time.Millisecond, electCtrl: -1, resume: 2 * time.Second},
		{n: 2, victim: 3, electLeader: -1, electCtrl: -1, resume: time.Second},
	}
	res := summarize("x", rs, report{acked: 199}, ops)
	if res.MaxWaitMs != 199 || res.P99WaitMs != 198 || res.ElectLeaderMax != 1500 || res.ResumeMax != 2000 ||
		len(res.ElectCtrlMs) != 0 || res.ElectLeaderMs[1] != -1 {
		t.Errorf("summary %+v", res)
	}
}

// TestCheckCopyCountsAnomalies feeds checkCopy hand-made logs and reader
// observations, one anomaly each.
func TestCheckCopyCountsAnomalies(t *testing.T) {
	rec := func(off int64, v string) logRecord { return logRecord{offset: off, value: []byte(v)} }
	type fixture struct {
		in, committed, all map[int32]*partitionLog
		obs                []observation
	}
	good := func() fixture {
		f := fixture{
			in:        map[int32]*partitionLog{0: {records: []logRecord{rec(0, "a"), rec(1, "b")}}, 1: {records: []logRecord{rec(0, "c")}}},
			committed: map[int32]*partitionLog{0: {records: []logRecord{rec(2, "a"), rec(3, "b"), rec(5, sentinelValue)}}, 1: {records: []logRecord{rec(0, "c")}}},
			// Offsets 0-1 of partition 0: an aborted try of a, b.
			all: map[int32]*partitionLog{0: {records: []logRecord{rec(0, "a"), rec(1, "b"), rec(2, "a"), rec(3, "b"), rec(5, sentinelValue)}}, 1: {records: []logRecord{rec(0, "c")}}},
			obs: []observation{{0, 2, "a"}, {1, 0, "c"}, {0, 3, "b"}},
		}
		return f
	}
	for _, tc := range []struct {
		name   string
		mutate func(f *fixture)
		count  func(r eosReport) int
		want   int
	}{
		{"clean", func(*fixture) {}, func(r eosReport) int {
			return r.Duplicates + r.Missing + r.Unknown + r.WrongPartition + r.AbortedReads + r.Inconsistent + r.NonMonotonic
		}, 0},
		{"aborted in log", func(*fixture) {}, func(r eosReport) int { return r.AbortedInLog }, 2},
		{"output", func(*fixture) {}, func(r eosReport) int { return r.Output }, 3},
		{"duplicate", func(f *fixture) { f.committed[1].records = append(f.committed[1].records, rec(1, "c")) }, func(r eosReport) int { return r.Duplicates }, 1},
		{"missing", func(f *fixture) { f.committed[1].records = nil }, func(r eosReport) int { return r.Missing }, 1},
		{"unknown", func(f *fixture) { f.committed[1].records = append(f.committed[1].records, rec(1, "z")) }, func(r eosReport) int { return r.Unknown }, 1},
		{"wrong partition", func(f *fixture) { f.committed[1].records = []logRecord{rec(0, "c"), rec(1, "a")} }, func(r eosReport) int { return r.WrongPartition }, 1},
		{"aborted read", func(f *fixture) { f.obs = append([]observation{{0, 0, "a"}}, f.obs...) }, func(r eosReport) int { return r.AbortedReads }, 1},
		{"inconsistent", func(f *fixture) { f.obs = append(f.obs, observation{1, 7, "c"}) }, func(r eosReport) int { return r.Inconsistent }, 1},
		{"non-monotonic", func(f *fixture) { f.obs = append(f.obs, observation{0, 2, "a"}) }, func(r eosReport) int { return r.NonMonotonic }, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := good()
			tc.mutate(&f)
			r := checkCopy(f.in, f.committed, f.all, f.obs)
			if got := tc.count(r); got != tc.want {
				t.Errorf("count = %d, want %d; report %+v %v", got, tc.want, r, r.anomalies)
			}
		})
	}
}
