package bench

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// E2EConfig describes an end-to-end latency run: one producer at a fixed
// Rate while Consumers read the same topic from its end.
type E2EConfig struct {
	Brokers []string `json:"brokers"`
	Topic   string   `json:"topic"`
	// ClientOpts are extra client options: TLS, SASL.
	ClientOpts []kgo.Opt `json:"-"`

	Rate       float64       `json:"rate"`        // records/s; required
	Records    int64         `json:"records"`     // records to send; 0: no limit
	Duration   time.Duration `json:"duration_ns"` // stop sending after this long; 0: no limit
	RecordSize int           `json:"record_size"` // value bytes, ≥ StampSize
	Consumers  int           `json:"consumers"`   // 0 means 1
	// Drain bounds the wait, after the last ack, for records still on their
	// way to a consumer; 0 means 10s. Records not seen by then count as lost.
	Drain time.Duration `json:"drain_ns"`

	ProducerSettings

	Progress Progress `json:"-"`
}

// StampSize is the payload prefix an e2e record carries: 8 bytes of run ID
// (so records of other runs are ignored) and 8 bytes of send time.
const StampSize = 16

func (c *E2EConfig) validate() error {
	switch {
	case len(c.Brokers) == 0:
		return errors.New("no brokers")
	case c.Topic == "":
		return errors.New("no topic")
	case c.Rate <= 0:
		return fmt.Errorf("e2e needs a positive rate, got %v", c.Rate)
	case c.Records < 0 || c.Duration < 0 || c.Drain < 0:
		return errors.New("negative records, duration or drain")
	case c.Records == 0 && c.Duration == 0:
		return errors.New("set records or duration (or both)")
	case c.RecordSize < StampSize:
		return fmt.Errorf("record size %d is below the %d-byte e2e stamp", c.RecordSize, StampSize)
	}
	c.Consumers = max(c.Consumers, 1)
	if c.Drain == 0 {
		c.Drain = 10 * time.Second
	}
	_, err := c.kgoOptions() // reject bad producer settings before dialing
	return err
}

// EndToEnd runs an e2e benchmark. Result.Records counts records consumed,
// Result.Produced records acknowledged, Result.Latency the produce latency
// and Result.EndToEnd the latency from handing a record to the producer
// until a consumer's poll returns it.
func EndToEnd(ctx context.Context, cfg E2EConfig) (*Result, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	parts, err := listTopic(ctx, cfg.Brokers, cfg.ClientOpts, cfg.Topic)
	if err != nil {
		return nil, err
	}
	st := &stamper{base: time.Now(), runID: rand.Uint64()}

	var (
		cc, pc counters // consumed, produced
		e2e, h Histogram
	)
	consCtx, stopConsumers := context.WithCancel(ctx)
	defer stopConsumers()
	onFetches := func(fs kgo.Fetches) {
		now := time.Now()
		var n, b int64
		fs.EachRecord(func(r *kgo.Record) {
			if lat, ok := st.latency(r.Value, now); ok {
				e2e.Record(lat)
				n++
				b += int64(len(r.Key) + len(r.Value))
			}
		})
		cc.add(n, b)
	}
	fatal := func(err error) {
		cc.fail(err)
		stopConsumers()
	}
	fromEnd := func(p partitionOffsets) kgo.Offset { return kgo.NewOffset().At(p.End) }
	consDone := make(chan error, 1)
	go func() {
		consDone <- consumeLoad(consCtx, cfg.Brokers, cfg.ClientOpts, assign(cfg.Topic, parts, cfg.Consumers, fromEnd), onFetches, fatal)
	}()

	stop := cfg.Progress.start("e2e", &cc, &e2e)
	start := time.Now()
	pcfg := &ProduceConfig{
		Brokers: cfg.Brokers, ClientOpts: cfg.ClientOpts, Topic: cfg.Topic, Records: cfg.Records, Duration: cfg.Duration,
		RecordSize: cfg.RecordSize, Throughput: cfg.Rate, Producers: 1, ProducerSettings: cfg.ProducerSettings,
	}
	// Producing under consCtx stops the producer too if a consumer fails.
	_, err = produceLoad(consCtx, pcfg, st, &pc, &h)
	if err == nil {
		drain(consCtx, cfg.Drain, func() bool { return cc.records.Load() >= pc.records.Load() })
	}
	elapsed := time.Since(start)
	stopConsumers()
	cerr := <-consDone
	stop()
	if err = errors.Join(err, cerr); err != nil {
		return nil, err
	}

	res := &Result{
		Mode: "e2e", Topic: cfg.Topic, Config: &cfg,
		Interrupted: ctx.Err() != nil, TargetRate: cfg.Rate,
	}
	cc.fill(res, elapsed)
	res.Produced = pc.records.Load()
	res.Errors += pc.errors.Load()
	if err, ok := pc.firstErr.Load().(error); ok {
		res.FirstError = err.Error()
	}
	res.Latency = Summarize(h.Snapshot())
	res.EndToEnd = Summarize(e2e.Snapshot())
	return res, nil
}

// drain waits until done reports true, ctx ends, or limit passes.
func drain(ctx context.Context, limit time.Duration, done func() bool) {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !done() {
		select {
		case <-ctx.Done():
			return
		case <-deadline.C:
			return
		case <-tick.C:
		}
	}
}

// stamper writes and reads the e2e payload prefix. Send times are offsets
// from base on the monotonic clock, which producer and consumer share.
type stamper struct {
	base  time.Time
	runID uint64
}

func (s *stamper) stamp(b []byte, sent time.Time) {
	binary.BigEndian.PutUint64(b[0:8], s.runID)
	binary.BigEndian.PutUint64(b[8:16], uint64(sent.Sub(s.base)))
}

// latency returns now minus b's send time, or false if b is not a record of
// this run.
func (s *stamper) latency(b []byte, now time.Time) (time.Duration, bool) {
	if len(b) < StampSize || binary.BigEndian.Uint64(b[0:8]) != s.runID {
		return 0, false
	}
	return now.Sub(s.base) - time.Duration(binary.BigEndian.Uint64(b[8:16])), true
}
