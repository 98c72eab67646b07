package durability

import "testing"

// TestCheckCountsAnomalies feeds check hand-made logs, one anomaly each, so
// a checker that never fires cannot pass for a broker that never fails.
func TestCheckCountsAnomalies(t *testing.T) {
	rec := func(off int64, s, seq int, pid int64) logRecord {
		return logRecord{offset: off, value: value(s, seq, 0), producerID: pid}
	}
	// Session 0 sent 0..5 and all were acked; session 1 sent 0..2, 2 unacked.
	acked := [][]bool{{true, true, true, true, true, true}, {true, true, false}}
	good := func() map[int32]*partitionLog {
		return map[int32]*partitionLog{
			0: {start: 0, end: 3, records: []logRecord{rec(0, 0, 0, 7), rec(1, 0, 3, 7), rec(2, 1, 0, 8)}},
			1: {start: 0, end: 3, records: []logRecord{rec(0, 0, 1, 7), rec(1, 0, 4, 7), rec(2, 1, 1, 8)}},
			2: {start: 0, end: 3, records: []logRecord{rec(0, 0, 2, 7), rec(1, 0, 5, 7), rec(2, 1, 2, 8)}},
		}
	}
	for _, tc := range []struct {
		name   string
		mutate func(logs map[int32]*partitionLog)
		count  func(r report) int
		want   int
	}{
		{"clean", func(map[int32]*partitionLog) {}, func(r report) int { return r.lost + r.dup + r.order + r.gaps + r.unknown + r.pidBugs }, 0},
		{"in-doubt", func(map[int32]*partitionLog) {}, func(r report) int { return r.inDoubt }, 1},
		{"lost", func(l map[int32]*partitionLog) { l[1].records = l[1].records[:1] }, func(r report) int { return r.lost }, 2},
		{"dup", func(l map[int32]*partitionLog) { l[0].records = append(l[0].records, rec(3, 0, 3, 7)) }, func(r report) int { return r.dup }, 1},
		{"order", func(l map[int32]*partitionLog) {
			l[0].records[0].value, l[0].records[1].value = value(0, 3, 0), value(0, 0, 0)
		}, func(r report) int { return r.order }, 1},
		{"gap", func(l map[int32]*partitionLog) { l[2].records[2].offset = 5 }, func(r report) int { return r.gaps }, 1},
		{"unknown", func(l map[int32]*partitionLog) { l[2].records[0].value = value(0, 1, 0) }, func(r report) int { return r.unknown }, 1},
		{"pid reused", func(l map[int32]*partitionLog) { l[0].records[2].producerID = 7 }, func(r report) int { return r.pidBugs }, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs := good()
			tc.mutate(logs)
			r := check(acked, logs, nil)
			if got := tc.count(r); got != tc.want {
				t.Errorf("count = %d, want %d; report %+v", got, tc.want, r)
			}
		})
	}
	t.Run("rewritten", func(t *testing.T) {
		prev, logs := good(), good()
		logs[1].records[1].value = value(0, 1, 0)
		if r := check(acked, logs, prev); r.rewritten != 1 {
			t.Errorf("rewritten = %d, want 1; report %+v", r.rewritten, r)
		}
	})
}
