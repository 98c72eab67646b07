package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// ProduceConfig describes a produce run. A run stops when Records records
// have been sent, when Duration has passed, or when its context ends,
// whichever comes first; at least one of Records and Duration must be set.
type ProduceConfig struct {
	Brokers []string `json:"brokers"`
	Topic   string   `json:"topic"`
	// ClientOpts are extra client options: TLS, SASL.
	ClientOpts []kgo.Opt `json:"-"`

	Records    int64         `json:"records"`     // records to send over all producers; 0: no limit
	Duration   time.Duration `json:"duration_ns"` // stop sending after this long; 0: no limit
	RecordSize int           `json:"record_size"` // value bytes; no key
	Throughput float64       `json:"throughput"`  // records/s over all producers; ≤ 0: unthrottled
	Producers  int           `json:"producers"`   // independent clients (connections); 0 means 1
	// Sync sends one record at a time per producer with ProduceSync, the
	// latency of a lone record rather than of a full pipeline.
	Sync bool `json:"sync"`

	ProducerSettings

	Progress Progress `json:"-"`
}

func (c *ProduceConfig) validate() error {
	switch {
	case len(c.Brokers) == 0:
		return errors.New("no brokers")
	case c.Topic == "":
		return errors.New("no topic")
	case c.Records < 0 || c.Duration < 0:
		return errors.New("negative records or duration")
	case c.Records == 0 && c.Duration == 0:
		return errors.New("set records or duration (or both)")
	case c.RecordSize < 0:
		return fmt.Errorf("negative record size %d", c.RecordSize)
	}
	c.Producers = max(c.Producers, 1)
	_, err := c.kgoOptions() // reject bad producer settings before dialing
	return err
}

// Produce runs a produce benchmark and reports records acknowledged, their
// throughput and their produce latency. Failed records are counted in
// Result.Errors, not returned as an error; the error is for a run that could
// not start.
func Produce(ctx context.Context, cfg ProduceConfig) (*Result, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if _, err := listTopic(ctx, cfg.Brokers, cfg.ClientOpts, cfg.Topic); err != nil {
		return nil, err
	}
	var (
		c counters
		h Histogram
	)
	stop := cfg.Progress.start("produce", &c, &h)
	elapsed, err := produceLoad(ctx, &cfg, nil, &c, &h)
	stop()
	if err != nil {
		return nil, err
	}
	res := &Result{
		Mode: "produce", Topic: cfg.Topic, Config: &cfg,
		Interrupted: ctx.Err() != nil, TargetRate: max(cfg.Throughput, 0),
	}
	c.fill(res, elapsed)
	res.Latency = Summarize(h.Snapshot())
	return res, nil
}

// produceLoad runs cfg.Producers send loops until cfg's limits or ctx end
// and every sent record is acknowledged; it returns how long that took.
// Acks go to c and h. With st set, every payload carries a send stamp.
func produceLoad(ctx context.Context, cfg *ProduceConfig, st *stamper, c *counters, h *Histogram) (time.Duration, error) {
	opts, err := cfg.kgoOptions()
	if err != nil {
		return 0, err
	}
	opts = append(baseOptions(cfg.Brokers, cfg.ClientOpts, "producer"), opts...)
	payload := randomPayload(cfg.RecordSize)
	workers := make([]*producer, cfg.Producers)
	for i := range workers {
		cl, err := kgo.NewClient(opts...)
		if err != nil {
			return 0, fmt.Errorf("producer client: %w", err)
		}
		defer cl.Close()
		workers[i] = newProducer(cl, cfg, payload, st, c, h)
	}

	// The limiter's schedule, which ends first, bounds a throttled run's
	// duration exactly; runCtx bounds an unthrottled one.
	lim := NewLimiter(cfg.Throughput)
	lim.EndAfter(cfg.Duration)
	runCtx, cancel := ctx, context.CancelFunc(func() {})
	if cfg.Duration > 0 {
		runCtx, cancel = context.WithTimeout(ctx, cfg.Duration)
	}
	defer cancel()
	var slots atomic.Int64
	claim := func() bool {
		return runCtx.Err() == nil && (cfg.Records == 0 || slots.Add(1) <= cfg.Records) && lim.Wait(runCtx) == nil
	}

	start := time.Now()
	var wg sync.WaitGroup
	for _, p := range workers {
		wg.Go(func() { p.run(ctx, claim) })
	}
	wg.Wait()
	return time.Since(start), nil
}

// producer is one client's send loop. run is called from one goroutine;
// finish runs on the client's promise goroutine.
type producer struct {
	cl      *kgo.Client
	cfg     *ProduceConfig
	payload []byte
	st      *stamper // nil: payload is shared and never written
	c       *counters
	h       *Histogram
	pool    sync.Pool // of *inflight, reused once their promise has run
}

// inflight carries a record and its send time to the promise, so that a
// record costs no allocation once the pool is warm.
type inflight struct {
	rec  kgo.Record
	buf  []byte // own payload copy when stamping
	sent time.Time
	p    *producer
	done func(*kgo.Record, error) // f.finish, bound once
}

func newProducer(cl *kgo.Client, cfg *ProduceConfig, payload []byte, st *stamper, c *counters, h *Histogram) *producer {
	p := &producer{cl: cl, cfg: cfg, payload: payload, st: st, c: c, h: h}
	p.pool.New = func() any {
		f := &inflight{p: p}
		f.done = f.finish
		return f
	}
	return p
}

// run sends while claim grants a slot, then waits for every ack. Records are
// sent under a context that ignores ctx's cancellation: Ctrl-C stops new
// sends, and what is in flight gets a few seconds to be acknowledged.
func (p *producer) run(ctx context.Context, claim func() bool) {
	sendCtx := context.WithoutCancel(ctx)
	for claim() {
		if p.cfg.Sync {
			p.sendSync(sendCtx)
		} else {
			p.send(sendCtx)
		}
	}
	flushCtx := ctx
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		flushCtx, cancel = context.WithTimeout(sendCtx, 5*time.Second)
		defer cancel()
	}
	// A Flush cut short by Ctrl-C is no failure of its own: the records it
	// leaves are failed, and counted, when the client closes.
	_ = p.cl.Flush(flushCtx)
}

func (p *producer) send(ctx context.Context) {
	f := p.pool.Get().(*inflight)
	f.rec = kgo.Record{Topic: p.cfg.Topic, Value: p.payload}
	f.sent = time.Now()
	if p.st != nil {
		if f.buf == nil {
			f.buf = slices.Clone(p.payload)
		}
		p.st.stamp(f.buf, f.sent)
		f.rec.Value = f.buf
	}
	p.cl.Produce(ctx, &f.rec, f.done)
}

func (f *inflight) finish(r *kgo.Record, err error) {
	p := f.p
	if err != nil {
		p.c.fail(topicHint(err))
	} else {
		p.h.Record(time.Since(f.sent))
		p.c.add(1, int64(len(r.Key)+len(r.Value)))
	}
	f.rec = kgo.Record{}
	p.pool.Put(f)
}

func (p *producer) sendSync(ctx context.Context) {
	r := &kgo.Record{Topic: p.cfg.Topic, Value: p.payload}
	sent := time.Now()
	if p.st != nil {
		r.Value = slices.Clone(p.payload)
		p.st.stamp(r.Value, sent)
	}
	if err := p.cl.ProduceSync(ctx, r).FirstErr(); err != nil {
		p.c.fail(topicHint(err))
		return
	}
	p.h.Record(time.Since(sent))
	p.c.add(1, int64(len(r.Value)))
}

// randomPayload returns n incompressible bytes from a fixed seed, so runs
// are repeatable and compression codecs get no free lunch.
func randomPayload(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.NewChaCha8([32]byte{'s', 't', 'r', 'o', 'm'}).Read(b)
	return b
}
