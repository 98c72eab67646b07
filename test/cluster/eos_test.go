package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/teststrom"
)

// TestExactlyOnceCopy: a copy job (its own process, eos_copier_test.go)
// copies an input topic to an output topic exactly once with transactions
// while the input producer keeps writing and rounds of SIGKILL hit the
// copier, the output's partition leader, the transaction coordinator and
// the active controller. Afterwards the output read read_committed holds
// every input value exactly once, in the input's partition, and a
// read_committed reader that ran throughout never saw a record the
// transaction log does not hold as committed.
func TestExactlyOnceCopy(t *testing.T) {
	c := startCluster(t, teststrom.ClusterOptions{Nodes: nodes, Overrides: []string{
		// The coordinator's sweep for expired transactions (default 10s):
		// a copier killed mid-transaction is usually fenced by its
		// successor first, but not when a kill hits both.
		"transaction.abort.timed.out.transaction.cleanup.interval.ms=1000",
	}})
	in := createTopicNamed(t, c, "eos-in")
	out := createTopicNamed(t, c, "eos-out")
	cfg := copierConfig{Bootstrap: c.Bootstrap(), In: in, Out: out, Group: "eos-copy", TxnID: "eos-copier"}
	rd := startReader(t, c, out)
	led := newLedger()
	p := startProducerRate(t, c, in, led, 1) // 250 values a second: the copier keeps up under -race
	cp := startCopier(t, cfg)
	e := &eosEnv{env: env{t: t, c: c, topic: out, led: led}, in: in, cp: cp, rd: rd, adm: kadm.NewClient(newClient(t, c))}

	e.awaitCopied(500, "the first copied values")
	var rs []eosRound
	for n, v := range eosSchedule() {
		rs = append(rs, e.round(n+1, v))
	}
	if !p.stop(false) {
		t.Errorf("the input producer could not flush; %s", led.status())
	}
	inputs := readLog(t, c, in)
	if err := check(led.snapshot(), inputs).failures(); err != nil {
		t.Errorf("input topic: %v", err)
	}
	want := 0
	for _, pl := range inputs {
		want += len(pl.records)
	}
	e.waitFor(readTimeout, "the copier catching up with the input", func(context.Context) error {
		if got := rd.distinct(); got < want {
			return fmt.Errorf("the reader saw %d of %d input values (%s); copier log:\n%s", got, want, rd.progress(), cp.logTail(10))
		}
		return nil
	})
	cp.kill()
	e.fenceCopier(cfg.TxnID)
	e.sentinel(out)
	committed := readLog(t, c, out, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	all := readLog(t, c, out)
	rep := checkCopy(inputs, committed, all, rd.stop())
	rep.Restarts, rep.Rounds = cp.restarts, rs
	t.Logf("rounds:\n%s", formatEOSRounds(rs))
	line, _ := json.Marshal(rep)
	t.Logf("EOS-RESULT %s", line)
	if err := rep.failures(); err != nil {
		t.Errorf("%v\n%s", err, strings.Join(rep.anomalies, "\n"))
	}
}

// eosVictim is what one round kills.
type eosVictim struct {
	name   string
	copier bool
	// pick names the node to kill too (nil: none).
	pick func(e *eosEnv, ctx context.Context) (int32, error)
}

var (
	killCopier       = eosVictim{name: "copier", copier: true}
	killOutputLeader = eosVictim{name: "output leader", pick: func(e *eosEnv, ctx context.Context) (int32, error) {
		return e.c.LeaderOf(ctx, e.topic, 0)
	}}
	killTxnCoordinator = eosVictim{name: "transaction coordinator", pick: func(e *eosEnv, ctx context.Context) (int32, error) {
		d, err := e.adm.DescribeTransactions(ctx, "eos-copier")
		if err != nil {
			return -1, err
		}
		tx, err := d.On("eos-copier", nil)
		if err == nil {
			err = tx.Err
		}
		return tx.Coordinator, err
	}}
	killController = eosVictim{name: "active controller", pick: func(e *eosEnv, ctx context.Context) (int32, error) {
		return e.c.ActiveController(ctx)
	}}
	killCopierAndCoordinator = eosVictim{name: "copier + transaction coordinator", copier: true, pick: killTxnCoordinator.pick}
)

func eosSchedule() []eosVictim {
	s := []eosVictim{killCopier, killOutputLeader, killTxnCoordinator, killCopierAndCoordinator, killController, killCopier}
	if testing.Short() {
		return s[:3]
	}
	return s
}

// eosRound is one kill: whom, and how long until the output moved on.
type eosRound struct {
	N      int    `json:"n"`
	Victim string `json:"victim"`
	Node   int32  `json:"node"` // -1: no broker killed
	// ResumeMs: kill → the reader has seen 100 more committed values.
	ResumeMs int64 `json:"resume_ms"`
	RejoinMs int64 `json:"rejoin_ms"` // broker restarted → every ISR full
}

type eosEnv struct {
	env
	in  string
	cp  *copier
	rd  *reader
	adm *kadm.Client
}

func (e *eosEnv) awaitCopied(n int, what string) {
	e.t.Helper()
	want := e.rd.count() + n
	e.waitFor(resumeTimeout, what, func(context.Context) error {
		if got := e.rd.count(); got < want {
			return fmt.Errorf("the reader saw %d of %d values; copier log:\n%s", got, want, e.cp.logTail(5))
		}
		return nil
	})
}

func (e *eosEnv) round(n int, v eosVictim) eosRound {
	e.t.Helper()
	for _, topic := range []string{e.in, e.topic} {
		if err := settled(e.t.Context(), e.c, topic); err != nil {
			e.fatalf("round %d: %s did not settle: %v", n, topic, err)
		}
	}
	r := eosRound{N: n, Victim: v.name, Node: -1, RejoinMs: -1}
	if v.pick != nil {
		e.waitFor(electTimeout, fmt.Sprintf("round %d: finding the %s", n, v.name), func(ctx context.Context) (err error) {
			r.Node, err = v.pick(e, ctx)
			return err
		})
	}
	killed := time.Now()
	if r.Node >= 0 {
		if err := e.c.Node(r.Node).Kill(); err != nil {
			e.fatalf("round %d: killing node %d: %v", n, r.Node, err)
		}
	}
	if v.copier {
		e.cp.restart()
	}
	e.awaitCopied(100, fmt.Sprintf("round %d: copying again after killing the %s", n, v.name))
	r.ResumeMs = time.Since(killed).Milliseconds()
	if r.Node >= 0 {
		if err := e.c.Node(r.Node).Restart(); err != nil {
			e.fatalf("round %d: restarting node %d: %v", n, r.Node, err)
		}
		began := time.Now()
		for _, topic := range []string{e.in, e.topic} {
			if err := settled(e.t.Context(), e.c, topic); err != nil {
				e.fatalf("round %d: node %d not back in every ISR of %s: %v", n, r.Node, topic, err)
			}
		}
		r.RejoinMs = time.Since(began).Milliseconds()
	}
	return r
}

// fenceCopier bumps the copier's producer epoch, as a new instance would:
// a transaction the last kill left open is aborted now instead of after
// its timeout, so the last stable offset reaches the high watermark.
func (e *eosEnv) fenceCopier(txnID string) {
	e.t.Helper()
	cl := newClient(e.t, e.c)
	e.waitFor(electTimeout, "fencing the killed copier's transactional id", func(ctx context.Context) error {
		req := kmsg.NewPtrInitProducerIDRequest()
		req.TransactionalID, req.TransactionTimeoutMillis = &txnID, 10000
		resp, err := req.RequestWith(ctx, cl)
		if err == nil {
			err = kerr.ErrorForCode(resp.ErrorCode)
		}
		return err
	})
}

// sentinel writes one non-transactional record to every partition of
// topic, so a reader knows it reached the end (the last offsets would
// otherwise be markers, which no client returns).
func (e *eosEnv) sentinel(topic string) {
	e.t.Helper()
	cl := newClient(e.t, e.c, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.RequiredAcks(kgo.AllISRAcks()))
	e.waitFor(resumeTimeout, "writing the end sentinels", func(ctx context.Context) error {
		var rs []*kgo.Record
		for p := range int32(partitions) {
			rs = append(rs, &kgo.Record{Topic: topic, Partition: p, Value: []byte(sentinelValue)})
		}
		return cl.ProduceSync(ctx, rs...).FirstErr()
	})
}

const sentinelValue = "end"

func formatEOSRounds(rs []eosRound) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "round %d: killed %s (node %d): copying again after %d ms, rejoined in %d ms\n",
			r.N, r.Victim, r.Node, r.ResumeMs, r.RejoinMs)
	}
	return b.String()
}

var errEOS = errors.New("exactly-once copy violated")
