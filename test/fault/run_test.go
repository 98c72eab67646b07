package fault

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strom-project/strom/internal/teststrom"
	"github.com/strom-project/strom/internal/testutil"
	"github.com/strom-project/strom/internal/testutil/topiclog"
)

// Bounds of a run's steps; nothing waits unbounded.
const (
	readyTimeout  = 60 * time.Second // the cluster forming, a node restarting
	settleTimeout = 90 * time.Second // full ISRs and one controller after a heal
	flushTimeout  = 60 * time.Second // the producer's buffered values answered
	drainTimeout  = 60 * time.Second // readers reaching the end of the log
	firstAcks     = 200              // acknowledgements before the first fault
)

// failover are the timeouts every node runs with, lowered from Kafka's.
var failover = []string{
	"broker.session.timeout.ms=2500",
	"broker.heartbeat.interval.ms=250",
	"replica.lag.time.max.ms=3000",
	"min.insync.replicas=2",
}

func TestMain(m *testing.M) {
	code := m.Run()
	teststrom.RemoveBinary()
	os.Exit(code)
}

// TestFaults runs every fault kind for each seed: one seed and 20 s of
// faults each by default (CI); STROM_FAULT_SEEDS and STROM_FAULT_DURATION
// make the long matrix.
func TestFaults(t *testing.T) {
	seeds, duration := 1, 20*time.Second
	if v := os.Getenv("STROM_FAULT_SEEDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("STROM_FAULT_SEEDS=%q: want a count", v)
		}
		seeds = n
	}
	if v := os.Getenv("STROM_FAULT_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("STROM_FAULT_DURATION=%q: %v", v, err)
		}
		duration = d
	}
	if testing.Short() {
		duration = min(duration, 10*time.Second)
	}
	if _, err := teststrom.Build(t.Context()); err != nil {
		t.Fatalf("building strom: %v", err)
	}
	for _, kind := range faultKinds {
		for seed := uint64(1); seed <= uint64(seeds); seed++ {
			t.Run(fmt.Sprintf("%s/seed-%d", kind.name, seed), func(t *testing.T) {
				res := runFault(t, kind, seed, duration)
				logResult(t, res)
				if res.failed() {
					t.Errorf("%s seed %d:\n%s", kind.name, seed, strings.Join(res.anomalies, "\n"))
				}
			})
		}
	}
}

// runFault is one run: a cluster, the queue workload, kind applied over
// and over for duration, heal, drain, check.
func runFault(t *testing.T, kind faultKind, seed uint64, duration time.Duration) result {
	dir := t.TempDir()
	opts := teststrom.ClusterOptions{Nodes: 3, Dir: dir, Overrides: failover, ReadyTimeout: readyTimeout}
	if kind.disk {
		if err := mountDataDirs(t, dir, 3); err != nil {
			t.Skipf("%s: %v", kind.name, err)
		}
	}
	netw, err := newNetEnv(t, 3)
	switch {
	case err == nil:
		opts.IPs, opts.Wrap = netw.ips, netw.wrap
	case kind.network:
		t.Skipf("%s: %v", kind.name, err)
	default:
		t.Logf("nodes on loopback: %v", err)
	}
	c, err := teststrom.StartCluster(opts)
	if err != nil {
		t.Fatalf("starting the cluster: %v", err)
	}
	t.Cleanup(func() {
		c.Close() // SIGKILL reaches paused nodes too
		if t.Failed() {
			t.Logf("history: %s\n%s", filepath.Join(dir, "history.jsonl"), c.LogTails(40))
		}
	})
	const topic = "queue"
	createTopic(t, c, topic)
	h, err := newHistory(filepath.Join(dir, "history.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer h.close()
	p, err := startProducer(h, c, topic)
	if err != nil {
		t.Fatal(err)
	}
	var readers []*reader
	for i := range 2 {
		rd, err := startReader(h, c, topic, fmt.Sprintf("reader-%d", i+1))
		if err != nil {
			t.Fatal(err)
		}
		readers = append(readers, rd)
	}
	wait(t, c, readyTimeout, "the first acknowledgements", func(context.Context) error {
		if n := acked(h); n < firstAcks {
			return fmt.Errorf("%d of %d acknowledged", n, firstAcks)
		}
		return nil
	})

	nem := &nemesis{c: c, h: h, topic: topic, net: netw, rng: rand.New(rand.NewPCG(seed, seed*0x9e3779b97f4a7c15))}
	began := time.Now()
	res := result{Fault: kind.name, Seed: seed}
	for time.Since(began) < duration {
		// The schedule is the test: gaps and holds drawn from the seed.
		time.Sleep(time.Duration(1000+nem.rng.IntN(1500)) * time.Millisecond)
		var heal func() error
		wait(t, c, readyTimeout, "injecting "+kind.name, func(ctx context.Context) (err error) {
			heal, err = kind.inject(ctx, nem)
			return err
		})
		res.Faults++
		time.Sleep(time.Duration(4000+nem.rng.IntN(2000)) * time.Millisecond)
		if err := heal(); err != nil {
			t.Fatalf("healing %s: %v\n%s", kind.name, err, c.LogTails(40))
		}
		wait(t, c, settleTimeout, "the cluster settling after "+kind.name, func(ctx context.Context) error {
			return c.Settled(ctx, topic, partitions)
		})
	}
	if !p.stop(flushTimeout) {
		t.Logf("the producer did not flush within %v; the rest ends as indeterminate", flushTimeout)
	}
	final := readFinal(t, c, topic)
	ends := map[int32]int64{}
	for part, recs := range final {
		if len(recs) > 0 {
			ends[part] = recs[len(recs)-1].Offset + 1
		}
	}
	wait(t, c, drainTimeout, "the readers reaching the end of the log", func(context.Context) error {
		for _, rd := range readers {
			if err := rd.caughtUp(ends); err != nil {
				return err
			}
		}
		return nil
	})
	for _, rd := range readers {
		rd.stop()
	}
	got := check(h.snapshot(), final)
	got.Fault, got.Seed, got.Faults, got.Seconds = res.Fault, res.Seed, res.Faults, time.Since(began).Seconds()
	return got
}

func acked(h *history) int {
	n := 0
	for _, o := range h.snapshot() {
		if o.Process == "producer" && o.Type == ok {
			n++
		}
	}
	return n
}

// wait polls cond (each call bounded by a few seconds) until it is nil.
func wait(t *testing.T, c *teststrom.Cluster, timeout time.Duration, what string, cond func(context.Context) error) {
	t.Helper()
	err := testutil.Poll(timeout, func() error {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		return cond(ctx)
	})
	if err != nil {
		t.Fatalf("%s: %v\n%s", what, err, c.LogTails(40))
	}
}

func createTopic(t *testing.T, c *teststrom.Cluster, topic string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Bootstrap()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	minISR := "2"
	wait(t, c, readyTimeout, "creating "+topic, func(ctx context.Context) error {
		resp, err := kadm.NewClient(cl).CreateTopic(ctx, partitions, 3, map[string]*string{"min.insync.replicas": &minISR}, topic)
		if err == nil || strings.Contains(err.Error(), "TOPIC_ALREADY_EXISTS") {
			err = resp.Err
		}
		if err != nil && strings.Contains(err.Error(), "TOPIC_ALREADY_EXISTS") {
			err = nil
		}
		return err
	})
	wait(t, c, settleTimeout, "the topic settling", func(ctx context.Context) error { return c.Settled(ctx, topic, partitions) })
}

// readFinal reads the whole topic back after the run.
func readFinal(t *testing.T, c *teststrom.Cluster, topic string) map[int32][]msg {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	read, err := topiclog.Read(ctx, topic, partitions, readyTimeout, kgo.SeedBrokers(c.Bootstrap()...), kgo.MetadataMinAge(100*time.Millisecond))
	if err != nil {
		t.Fatalf("reading %s back: %v\n%s", topic, err, c.LogTails(40))
	}
	out := map[int32][]msg{}
	for part, rp := range read {
		for _, r := range rp.Records {
			if r.Offset < rp.End {
				out[part] = append(out[part], msg{part, r.Offset, string(r.Value)})
			}
		}
	}
	return out
}

// logResult logs the run's table row and one FAULT-RESULT line.
func logResult(t *testing.T, r result) {
	t.Helper()
	t.Logf("%s seed %d: %d faults in %.0fs; sent %d, acked %d, indeterminate %d (recovered %d), polls %d; "+
		"lost %d, unseen %d, duplicates %d, unknown %d, inconsistent offsets %d, poll skips %d, non-monotonic polls %d / sends %d; "+
		"max unavailable %d ms, max ack wait %d ms; indeterminate because %v",
		r.Fault, r.Seed, r.Faults, r.Seconds, r.Sent, r.Acked, r.Indeterminate, r.Recovered, r.Polls,
		r.Lost, r.Unseen, r.Duplicates, r.Unknown, r.Inconsistent, r.PollSkips, r.NonMonoPolls, r.NonMonoSends,
		r.MaxUnavailableMs, r.MaxAckWaitMs, r.Errors)
	line, _ := json.Marshal(r)
	t.Logf("FAULT-RESULT %s", line)
}
