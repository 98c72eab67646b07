package cluster

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strom-project/strom/internal/teststrom"
)

// Producer pace: perTick values every tick, about 1000 a second, enough to
// see every failover while leaving the two cores to the brokers.
const (
	tick    = 4 * time.Millisecond
	perTick = 4
)

// producer writes sequential values to every partition until stopped.
type producer struct {
	t        *testing.T
	led      *ledger
	topic    string
	cl       *kgo.Client
	ctx      context.Context // cancelled to give up what is unacknowledged
	cancel   context.CancelFunc
	stopping atomic.Bool
	done     chan struct{} // closed when the producing goroutine returns
	stopped  bool
	perTick  int
}

// hook tells the ledger which node acknowledged each batch.
type hook struct{ led *ledger }

func (h hook) OnProduceBatchWritten(meta kgo.BrokerMetadata, _ string, partition int32, _ kgo.ProduceBatchMetrics) {
	h.led.written(meta.NodeID, partition)
}

// startProducer starts an idempotent acks=all producer that retries every
// record until it is acknowledged; t's cleanup stops it if the test did not.
func startProducer(t *testing.T, c *teststrom.Cluster, topic string, led *ledger) *producer {
	t.Helper()
	return startProducerRate(t, c, topic, led, perTick)
}

// startProducerRate is startProducer writing n values per tick.
func startProducerRate(t *testing.T, c *teststrom.Cluster, topic string, led *ledger, n int) *producer {
	t.Helper()
	p := &producer{t: t, led: led, topic: topic, done: make(chan struct{}), perTick: n}
	var err error
	p.cl, err = kgo.NewClient(kgo.SeedBrokers(c.Bootstrap()...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.MaxBufferedRecords(20000), kgo.UnknownTopicRetries(-1),
		kgo.WithHooks(hook{led}),
		// After a failed produce the client refreshes metadata at most
		// every 5s by default: longer than a whole failover.
		kgo.MetadataMinAge(100*time.Millisecond))
	if err != nil {
		t.Fatalf("kgo.NewClient: %v", err)
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	t.Cleanup(func() {
		if !p.stopped {
			p.stop(true)
		}
	})
	go p.loop()
	return p
}

func (p *producer) loop() {
	defer close(p.done)
	tk := time.NewTicker(tick)
	defer tk.Stop()
	for n := 0; !p.stopping.Load() && p.ctx.Err() == nil; n++ {
		if n%p.perTick == 0 {
			select {
			case <-tk.C:
			case <-p.ctx.Done():
				return
			}
		}
		part := int32(n % partitions)
		seq := p.led.attempt(part)
		p.cl.Produce(p.ctx, &kgo.Record{Topic: p.topic, Partition: part, Value: value(seq)}, func(r *kgo.Record, err error) {
			p.led.result(seq, r.Offset, err)
		})
	}
}

// stop stops producing and flushes within produceTimeout; what is still
// unacknowledged then, or at once with abandon, is given up (failed: it may
// or may not be in the log). It reports whether everything was flushed.
func (p *producer) stop(abandon bool) bool {
	p.t.Helper()
	p.stopped = true
	p.stopping.Store(true)
	if abandon {
		p.cancel() // also unblocks a Produce waiting for buffer space
	}
	select {
	case <-p.done:
	case <-time.After(closeTimeout):
		p.cancel()
		<-p.done
	}
	flushed := abandon
	if !abandon {
		fctx, fcancel := context.WithTimeout(p.ctx, produceTimeout)
		flushed = p.cl.Flush(fctx) == nil
		fcancel()
	}
	p.cancel()
	closeClient(p.t, p.cl) // fails whatever is still buffered
	return flushed
}
