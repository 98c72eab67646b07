package cluster

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strom-project/strom/internal/teststrom"
)

// observation is one record a reader returned.
type observation struct {
	partition int32
	offset    int64
	value     string
}

// reader consumes a topic read_committed from its start, by assignment,
// for as long as the test runs, and keeps everything it was given.
type reader struct {
	cl     *kgo.Client
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	obs    []observation
	values map[string]bool
}

func startReader(t *testing.T, c *teststrom.Cluster, topic string) *reader {
	t.Helper()
	assign := map[int32]kgo.Offset{}
	for p := range int32(partitions) {
		assign[p] = kgo.NewOffset().AtStart()
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Bootstrap()...), kgo.MetadataMinAge(100*time.Millisecond),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: assign}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &reader{cl: cl, cancel: cancel, done: make(chan struct{}), values: map[string]bool{}}
	go func() {
		defer close(r.done)
		for ctx.Err() == nil {
			r.cl.PollFetches(ctx).EachRecord(func(rec *kgo.Record) {
				r.mu.Lock()
				r.obs = append(r.obs, observation{rec.Partition, rec.Offset, string(rec.Value)})
				if v := string(rec.Value); v != sentinelValue {
					r.values[v] = true
				}
				r.mu.Unlock()
			})
		}
	}()
	t.Cleanup(func() { r.stop() })
	return r
}

// count is how many records the reader has been given.
func (r *reader) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.obs)
}

// distinct is how many different values (sentinels aside) it has seen.
func (r *reader) distinct() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.values)
}

// progress names the last offset read in each partition.
func (r *reader) progress() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	last := map[int32]int64{}
	for _, o := range r.obs {
		last[o.partition] = o.offset
	}
	return fmt.Sprintf("last offsets read %v", last)
}

// stop ends the reader and returns what it saw; safe to call twice.
func (r *reader) stop() []observation {
	r.cancel()
	<-r.done
	r.cl.Close()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.obs
}

// eosReport is what checkCopy found; the counts after Output must be 0.
type eosReport struct {
	Input          int        `json:"input"`           // values in the input log
	Output         int        `json:"output"`          // committed records in the output log
	AbortedInLog   int        `json:"aborted_in_log"`  // output records of aborted transactions
	Observed       int        `json:"reader_observed"` // records the concurrent reader was given
	Duplicates     int        `json:"duplicates"`
	Missing        int        `json:"missing"`
	Unknown        int        `json:"unknown"`
	WrongPartition int        `json:"wrong_partition"`
	AbortedReads   int        `json:"aborted_reads"` // the reader got a record of an aborted transaction
	Inconsistent   int        `json:"inconsistent"`  // the reader got a record the final log does not hold
	NonMonotonic   int        `json:"non_monotonic"` // the reader went back within a partition
	Restarts       int        `json:"copier_restarts"`
	Rounds         []eosRound `json:"rounds"`
	anomalies      []string
}

func (r *eosReport) anomaly(count *int, format string, args ...any) {
	*count++
	if len(r.anomalies) < 20 {
		r.anomalies = append(r.anomalies, fmt.Sprintf(format, args...))
	}
}

// checkCopy compares the input log with the output read read_committed
// (committed) and read_uncommitted (all), and checks what the concurrent
// reader saw against them.
func checkCopy(inputs, committed, all map[int32]*partitionLog, obs []observation) eosReport {
	var rep eosReport
	inPart := map[string]int32{}
	for p, pl := range inputs {
		for _, r := range pl.records {
			inPart[string(r.value)] = p
		}
	}
	rep.Input = len(inPart)
	at := map[int32]map[int64]string{}
	seen := map[string]int{}
	for p, pl := range committed {
		at[p] = map[int64]string{}
		for _, r := range pl.records {
			v := string(r.value)
			at[p][r.offset] = v
			if v == sentinelValue {
				continue
			}
			rep.Output++
			seen[v]++
			switch ip, ok := inPart[v]; {
			case !ok:
				rep.anomaly(&rep.Unknown, "output %d/%d: %q was never in the input", p, r.offset, v)
			case ip != p:
				rep.anomaly(&rep.WrongPartition, "output %d/%d: %q came from input partition %d", p, r.offset, v, ip)
			}
			if seen[v] == 2 {
				rep.anomaly(&rep.Duplicates, "output %d/%d: %q committed twice", p, r.offset, v)
			} else if seen[v] > 2 {
				rep.Duplicates++
			}
		}
	}
	for v := range inPart {
		if seen[v] == 0 {
			rep.anomaly(&rep.Missing, "input %q never committed to the output", v)
		}
	}
	aborted := map[int32]map[int64]bool{}
	for p, pl := range all {
		aborted[p] = map[int64]bool{}
		for _, r := range pl.records {
			if _, ok := at[p][r.offset]; !ok {
				aborted[p][r.offset] = true
				rep.AbortedInLog++
			}
		}
	}
	rep.Observed = len(obs)
	last := map[int32]int64{}
	for _, o := range obs {
		if prev, ok := last[o.partition]; ok && o.offset <= prev {
			rep.anomaly(&rep.NonMonotonic, "reader: partition %d offset %d after %d", o.partition, o.offset, prev)
		}
		last[o.partition] = o.offset
		switch v, ok := at[o.partition][o.offset]; {
		case ok && v == o.value:
		case aborted[o.partition][o.offset]:
			rep.anomaly(&rep.AbortedReads, "reader: %d/%d %q belongs to an aborted transaction", o.partition, o.offset, o.value)
		default:
			rep.anomaly(&rep.Inconsistent, "reader: %d/%d %q, the log holds %q there", o.partition, o.offset, o.value, v)
		}
	}
	return rep
}

func (r eosReport) failures() error {
	if r.Output == 0 || r.Duplicates+r.Missing+r.Unknown+r.WrongPartition+r.AbortedReads+r.Inconsistent+r.NonMonotonic > 0 {
		return fmt.Errorf("%w: output %d of %d input values; duplicates %d, missing %d, unknown %d, wrong partition %d, aborted reads %d, inconsistent %d, non-monotonic %d",
			errEOS, r.Output, r.Input, r.Duplicates, r.Missing, r.Unknown, r.WrongPartition, r.AbortedReads, r.Inconsistent, r.NonMonotonic)
	}
	return nil
}
