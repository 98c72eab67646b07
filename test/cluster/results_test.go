package cluster

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"time"
)

// result is the machine-readable summary of one test, logged as
// "CLUSTER-RESULT " + JSON. Durations are milliseconds; -1 is "not measured".
type result struct {
	Test           string  `json:"test"`
	Rounds         int     `json:"rounds"`
	Victims        []int32 `json:"victims"`
	Attempted      int     `json:"attempted"`
	Acked          int     `json:"acked"`
	Failed         int     `json:"failed"`
	Lost           int     `json:"lost"`
	Moved          int     `json:"moved"`
	Duplicates     int     `json:"duplicates"`
	Order          int     `json:"order"`
	Gaps           int     `json:"gaps"`
	Unknown        int     `json:"unknown"`
	UnackedPresent int     `json:"unacked_present"`
	ElectLeaderMs  []int64 `json:"elect_leader_ms"` // per round: kill → first write a new leader accepted
	ElectLeaderMax int64   `json:"elect_leader_ms_max"`
	ElectCtrlMs    []int64 `json:"elect_controller_ms"`
	ResumeMax      int64   `json:"resume_ms_max"` // kill → writes on every partition
	RestartMax     int64   `json:"restart_ms_max"`
	RejoinMax      int64   `json:"rejoin_ms_max"`
	MaxWaitMs      int64   `json:"max_produce_wait_ms"` // longest first attempt → ack of one value
	P99WaitMs      int64   `json:"p99_produce_wait_ms"`
}

func summarize(name string, rs []round, rep report, ops []op) result {
	res := result{Test: name, Rounds: len(rs), Attempted: rep.attempted, Acked: rep.acked, Failed: rep.failed,
		Lost: rep.lost, Moved: rep.moved, Duplicates: rep.dup, Order: rep.order, Gaps: rep.gaps, Unknown: rep.unknown,
		UnackedPresent: rep.unackedPresent, ElectLeaderMax: -1, Victims: []int32{}, ElectLeaderMs: []int64{}, ElectCtrlMs: []int64{}}
	for _, r := range rs {
		res.Victims = append(res.Victims, r.victim)
		res.ElectLeaderMs = append(res.ElectLeaderMs, millis(r.electLeader))
		res.ElectLeaderMax = max(res.ElectLeaderMax, millis(r.electLeader))
		if r.electCtrl >= 0 {
			res.ElectCtrlMs = append(res.ElectCtrlMs, millis(r.electCtrl))
		}
		res.ResumeMax = max(res.ResumeMax, r.resume.Milliseconds())
		res.RestartMax = max(res.RestartMax, r.restart.Milliseconds())
		res.RejoinMax = max(res.RejoinMax, r.rejoin.Milliseconds())
	}
	var waits []time.Duration
	for _, o := range ops {
		if o.acked {
			waits = append(waits, o.done.Sub(o.invoked))
		}
	}
	if len(waits) > 0 {
		slices.Sort(waits)
		res.MaxWaitMs = waits[len(waits)-1].Milliseconds()
		res.P99WaitMs = waits[len(waits)*99/100].Milliseconds()
	}
	return res
}

// millis is d in milliseconds, -1 for "not measured".
func millis(d time.Duration) int64 {
	if d < 0 {
		return -1
	}
	return d.Milliseconds()
}

// logResults prints the rounds as a table and the summary as one
// CLUSTER-RESULT line through t.Logf.
func logResults(t *testing.T, res result, rs []round) {
	t.Helper()
	var sb strings.Builder
	w := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "round\tvictim\tled\telect leader\telect controller\tresume\trestart\trejoin\t")
	for _, r := range rs {
		fmt.Fprintf(w, "%d\t%d\t%v\t%s\t%s\t%s\t%s\t%s\t\n", r.n, r.victim, r.led, ms(r.electLeader), ms(r.electCtrl),
			ms(r.resume), ms(r.restart), ms(r.rejoin))
	}
	w.Flush()
	fmt.Fprintf(&sb, "attempted %d, acked %d, failed %d, lost %d, moved %d, dup %d, order %d, gaps %d, unknown %d, unacked-present %d; produce wait max %dms, p99 %dms",
		res.Attempted, res.Acked, res.Failed, res.Lost, res.Moved, res.Duplicates, res.Order, res.Gaps, res.Unknown,
		res.UnackedPresent, res.MaxWaitMs, res.P99WaitMs)
	t.Logf("results:\n%s", sb.String())
	line, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("CLUSTER-RESULT %s", line)
}
