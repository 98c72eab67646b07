package fault

import (
	"fmt"
	"slices"
	"time"
)

// result is one run's outcome; the counts from Lost on must be 0.
type result struct {
	Fault         string  `json:"fault"`
	Seed          uint64  `json:"seed"`
	Seconds       float64 `json:"seconds"`
	Faults        int     `json:"faults"` // injections
	Sent          int     `json:"sent"`
	Acked         int     `json:"acked"`
	Indeterminate int     `json:"indeterminate"` // info: unknown whether written
	Recovered     int     `json:"recovered"`     // indeterminate, yet in the log
	Polls         int     `json:"polls"`
	Lost          int     `json:"lost"`       // acknowledged, not in the log
	Unseen        int     `json:"unseen"`     // in the log, never returned to a reader that read to the end
	Duplicates    int     `json:"duplicates"` // one value at two offsets
	Unknown       int     `json:"unknown"`    // in the log, never sent (or in another partition)
	Inconsistent  int     `json:"inconsistent_offsets"`
	PollSkips     int     `json:"poll_skips"`
	NonMonoPolls  int     `json:"nonmonotonic_polls"`
	NonMonoSends  int     `json:"nonmonotonic_sends"`
	// MaxUnavailableMs: the longest stretch with values waiting and none
	// acknowledged; MaxAckWaitMs: the longest one value waited.
	MaxUnavailableMs int64 `json:"max_unavailable_ms"`
	MaxAckWaitMs     int64 `json:"max_ack_wait_ms"`
	// Errors counts the errors indeterminate sends ended with.
	Errors    map[string]int `json:"errors,omitempty"`
	anomalies []string
}

func (r *result) anomaly(count *int, format string, args ...any) {
	*count++
	if len(r.anomalies) < 20 {
		r.anomalies = append(r.anomalies, fmt.Sprintf(format, args...))
	}
}

func (r *result) failed() bool {
	return r.Lost+r.Unseen+r.Duplicates+r.Unknown+r.Inconsistent+r.PollSkips+r.NonMonoPolls+r.NonMonoSends > 0 || r.Acked == 0
}

// send is what the history says of one value.
type send struct {
	partition       int32
	invoked, okAt   time.Duration
	outcome         string // ok, info, or "" while unanswered
	offset, invokeN int64
}

// check reads the history against the final log (partition → records in
// offset order, from the log start to the end).
func check(ops []op, final map[int32][]msg) result {
	var r result
	sends := map[string]*send{}
	var okTimes []time.Duration
	for _, o := range ops {
		if o.Process != "producer" {
			continue
		}
		switch o.Type {
		case invoke:
			sends[o.Value] = &send{partition: o.Partition, invoked: o.At, offset: -1, invokeN: int64(o.Index)}
			r.Sent++
		case ok:
			s := sends[o.Value]
			s.outcome, s.offset, s.okAt = ok, o.Offset, o.At
			r.Acked++
			okTimes = append(okTimes, o.At)
			r.MaxAckWaitMs = max(r.MaxAckWaitMs, (o.At - s.invoked).Milliseconds())
		case info:
			sends[o.Value].outcome = info
			r.Indeterminate++
			if r.Errors == nil {
				r.Errors = map[string]int{}
			}
			r.Errors[o.Error]++
		}
	}
	at := map[int32]map[int64]string{}
	where := map[string][]msg{}
	for p, recs := range final {
		at[p] = map[int64]string{}
		for _, m := range recs {
			at[p][m.Offset] = m.Value
			where[m.Value] = append(where[m.Value], m)
		}
	}
	for v, ms := range where {
		s := sends[v]
		switch {
		case s == nil:
			r.anomaly(&r.Unknown, "%q at %d/%d was never sent", v, ms[0].Partition, ms[0].Offset)
		case ms[0].Partition != s.partition:
			r.anomaly(&r.Unknown, "%q sent to partition %d, found in %d", v, s.partition, ms[0].Partition)
		}
		if len(ms) > 1 {
			r.anomaly(&r.Duplicates, "%q at %d offsets: %v", v, len(ms), ms)
		}
		if s != nil && s.outcome == info {
			r.Recovered++
		}
	}
	for v, s := range sends {
		if s.outcome != ok {
			continue
		}
		ms := where[v]
		switch {
		case len(ms) == 0:
			r.anomaly(&r.Lost, "%q acknowledged at %d/%d, not in the log", v, s.partition, s.offset)
		case ms[0].Offset != s.offset:
			r.anomaly(&r.Inconsistent, "%q acknowledged at %d/%d, in the log at %d", v, s.partition, s.offset, ms[0].Offset)
		}
	}
	r.checkSends(sends)
	r.checkPolls(ops, at, final)
	r.MaxUnavailableMs = longestGap(okTimes, ops)
	return r
}

// checkSends: within a partition, values acknowledged in the order they
// were sent get increasing offsets (idempotence keeps the order).
func (r *result) checkSends(sends map[string]*send) {
	byPart := map[int32][]*send{}
	for _, s := range sends {
		if s.outcome == ok {
			byPart[s.partition] = append(byPart[s.partition], s)
		}
	}
	for p, ss := range byPart {
		slices.SortFunc(ss, func(a, b *send) int { return int(a.invokeN - b.invokeN) })
		for i := 1; i < len(ss); i++ {
			if ss[i].offset <= ss[i-1].offset {
				r.anomaly(&r.NonMonoSends, "partition %d: sent later, acknowledged at %d after %d", p, ss[i].offset, ss[i-1].offset)
			}
		}
	}
}

// checkPolls: each reader, reading every partition by assignment from the
// start, must see the log's records in order, each at its offset, none
// skipped, and (having read to the end) every one.
func (r *result) checkPolls(ops []op, at map[int32]map[int64]string, final map[int32][]msg) {
	seen := map[string]bool{}
	type pos struct {
		reader string
		p      int32
	}
	last := map[pos]int64{}
	for _, o := range ops {
		if o.F != "poll" || o.Type != ok {
			continue
		}
		r.Polls++
		for _, m := range o.Polled {
			seen[m.Value] = true
			if v, ok := at[m.Partition][m.Offset]; !ok || v != m.Value {
				r.anomaly(&r.Inconsistent, "%s polled %q at %d/%d; the log holds %q there", o.Process, m.Value, m.Partition, m.Offset, v)
			}
			k := pos{o.Process, m.Partition}
			prev, started := last[k]
			if !started {
				prev = -1
			}
			switch {
			case started && m.Offset <= prev:
				r.anomaly(&r.NonMonoPolls, "%s polled %d/%d after %d", o.Process, m.Partition, m.Offset, prev)
			case skipped(final[m.Partition], prev, m.Offset):
				r.anomaly(&r.PollSkips, "%s jumped from %d to %d in partition %d past records in the log", o.Process, prev, m.Offset, m.Partition)
			}
			last[k] = max(prev, m.Offset)
		}
	}
	for _, recs := range final {
		for _, m := range recs {
			if !seen[m.Value] {
				r.anomaly(&r.Unseen, "%q at %d/%d never polled", m.Value, m.Partition, m.Offset)
			}
		}
	}
}

// skipped reports whether recs (in offset order) hold a record strictly
// between offsets from and to.
func skipped(recs []msg, from, to int64) bool {
	i, _ := slices.BinarySearchFunc(recs, from+1, func(m msg, off int64) int { return int(m.Offset - off) })
	return i < len(recs) && recs[i].Offset < to
}

// longestGap is the longest stretch between acknowledgements (or from the
// first send to the first one) while values were outstanding.
func longestGap(okTimes []time.Duration, ops []op) int64 {
	if len(okTimes) == 0 {
		return -1
	}
	slices.Sort(okTimes)
	var first time.Duration = -1
	for _, o := range ops {
		if o.Process == "producer" && o.Type == invoke {
			first = o.At
			break
		}
	}
	gap := okTimes[0] - first
	for i := 1; i < len(okTimes); i++ {
		gap = max(gap, okTimes[i]-okTimes[i-1])
	}
	return gap.Milliseconds()
}
