package durability

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/strom-project/strom/internal/teststrom"
)

// row is one line of a test's results table: a check after a restart.
type row struct {
	name      string
	attempted int // values the producer sessions tried so far
	report
	restart time.Duration // Restart until the broker answered
	// truncated is what recovery truncated from the topic's segments at the
	// last start, per the broker's log; it includes the zeros after the data
	// of a preallocated segment.
	truncated int64
	// resent is how many records the producer resent after the crash that
	// the broker had written before it; -1 when not measured.
	resent int64
}

// table collects a test's rows; subtests run one at a time, so no lock.
type table struct{ rows []row }

func (tb *table) add(r row) { tb.rows = append(tb.rows, r) }

// log prints the table through t.Logf.
func (tb *table) log(t *testing.T) {
	t.Helper()
	var sb strings.Builder
	w := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "case\tattempted\tacked\trecovered\tlost\tdup\torder\tgaps\tunknown\trewritten\tpid\tin-doubt\trestart\ttruncated B\tresent\t")
	for _, r := range tb.rows {
		restart, truncated := "-", "-" // no restart before this check
		if r.restart > 0 {
			restart, truncated = r.restart.Round(time.Millisecond).String(), strconv.FormatInt(r.truncated, 10)
		}
		resent := "-"
		if r.resent >= 0 {
			resent = strconv.FormatInt(r.resent, 10)
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t\n",
			r.name, r.attempted, r.acked, r.recovered, r.lost, r.dup, r.order, r.gaps, r.unknown,
			r.rewritten, r.pidBugs, r.inDoubt, restart, truncated, resent)
	}
	w.Flush()
	t.Logf("results:\n%s", sb.String())
}

// verify reads the topic back, checks it against the ledger (and prev, the
// log read before, when not nil), fails t on any anomaly, and returns the row
// and the log read.
func verify(t *testing.T, b *teststrom.Broker, led *ledger, topic string, prev map[int32]*partitionLog, name string, restart time.Duration) (row, map[int32]*partitionLog) {
	t.Helper()
	logs := readLog(t, b, topic, partitions)
	acked := led.snapshot()
	r := row{name: name, report: check(acked, logs, prev), restart: restart, resent: -1, truncated: truncatedBytes(b, func(dir string) bool {
		return strings.HasPrefix(dir, topic+"-")
	})}
	for _, s := range acked {
		r.attempted += len(s)
	}
	if err := r.failures(); err != nil {
		t.Errorf("%s: %v\n%s", name, err, progress(logs))
	}
	return r, logs
}

var truncatedRE = regexp.MustCompile(`partition=(\S+) .*bytes_truncated=(\d+)`)

// truncatedBytes sums what the broker logged as truncated by recovery since
// its last (re)start, for the partition directories keep accepts.
func truncatedBytes(b *teststrom.Broker, keep func(partitionDir string) bool) int64 {
	var n int64
	for _, line := range logSinceStart(b) {
		if m := truncatedRE.FindStringSubmatch(line); m != nil && keep(strings.Trim(m[1], `"`)) {
			v, _ := strconv.ParseInt(m[2], 10, 64)
			n += v
		}
	}
	return n
}

// logSinceStart returns the broker's log lines since its last (re)start.
func logSinceStart(b *teststrom.Broker) []string {
	lines := strings.Split(b.LogTail(100000), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "--- teststrom: restart") {
			return lines[i+1:]
		}
	}
	return lines[1:] // after LogTail's header
}
