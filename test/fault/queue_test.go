package fault

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strom-project/strom/internal/teststrom"
)

// Producer pace: one value every tick on each partition in turn, about 500
// a second, which leaves the two cores to the brokers.
const (
	sendTick   = 2 * time.Millisecond
	partitions = 3
)

// producer is the queue workload's writer: idempotent, acks=all, retrying
// every value until it is acknowledged or the run gives up on it.
type producer struct {
	h     *history
	cl    *kgo.Client
	topic string
	// ctx ends the sending loop; recCtx, the values still buffered
	// (cancelled only once the flush has had its time).
	ctx, recCtx       context.Context
	cancel, recCancel context.CancelFunc
	done              chan struct{}
	sent              atomic.Int64
}

func startProducer(h *history, c *teststrom.Cluster, topic string) (*producer, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Bootstrap()...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.MaxBufferedRecords(20000), kgo.UnknownTopicRetries(-1),
		kgo.MetadataMinAge(100*time.Millisecond))
	if err != nil {
		return nil, err
	}
	p := &producer{h: h, cl: cl, topic: topic, done: make(chan struct{})}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.recCtx, p.recCancel = context.WithCancel(context.Background())
	go p.loop()
	return p, nil
}

func (p *producer) loop() {
	defer close(p.done)
	tk := time.NewTicker(sendTick)
	defer tk.Stop()
	for n := 0; ; n++ {
		select {
		case <-tk.C:
		case <-p.ctx.Done():
			return
		}
		part := int32(n % partitions)
		v := fmt.Sprintf("v%09d", n)
		p.h.add(op{Process: "producer", Type: invoke, F: "send", Partition: part, Value: v, Offset: -1})
		p.sent.Add(1)
		p.cl.Produce(p.recCtx, &kgo.Record{Topic: p.topic, Partition: part, Value: []byte(v)}, func(r *kgo.Record, err error) {
			o := op{Process: "producer", Type: ok, F: "send", Partition: part, Value: v, Offset: r.Offset}
			if err != nil {
				// franz-go retried until its deadline: the value may or
				// may not be in the log.
				o.Type, o.Offset, o.Error = info, -1, err.Error()
			}
			p.h.add(o)
		})
	}
}

// stop stops sending and flushes for up to flushTimeout; what is still
// unanswered then ends as info. It reports whether everything flushed.
func (p *producer) stop(flushTimeout time.Duration) bool {
	p.cancel()
	<-p.done
	ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
	defer cancel()
	flushed := p.cl.Flush(ctx) == nil
	p.recCancel()
	p.cl.Close() // fails (info) whatever is left
	return flushed
}

// reader consumes every partition by assignment from the start and logs
// each poll that returned records.
type reader struct {
	h      *history
	name   string
	cl     *kgo.Client
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	next   map[int32]int64 // partition → offset after the last record read
}

func startReader(h *history, c *teststrom.Cluster, topic, name string) (*reader, error) {
	assign := map[int32]kgo.Offset{}
	for p := range int32(partitions) {
		assign[p] = kgo.NewOffset().AtStart()
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Bootstrap()...), kgo.MetadataMinAge(100*time.Millisecond),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: assign}))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &reader{h: h, name: name, cl: cl, cancel: cancel, done: make(chan struct{}), next: map[int32]int64{}}
	go func() {
		defer close(r.done)
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			var polled []msg
			fs.EachRecord(func(rec *kgo.Record) {
				polled = append(polled, msg{rec.Partition, rec.Offset, string(rec.Value)})
			})
			if len(polled) == 0 {
				continue
			}
			r.h.add(op{Process: name, Type: ok, F: "poll", Polled: polled, Offset: -1})
			r.mu.Lock()
			for _, m := range polled {
				r.next[m.Partition] = max(r.next[m.Partition], m.Offset+1)
			}
			r.mu.Unlock()
		}
	}()
	return r, nil
}

// caughtUp reports whether the reader has read up to ends (partition →
// end offset); it names the first partition behind otherwise.
func (r *reader) caughtUp(ends map[int32]int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for p, end := range ends {
		if r.next[p] < end {
			return fmt.Errorf("%s: partition %d read to %d of %d", r.name, p, r.next[p], end)
		}
	}
	return nil
}

func (r *reader) stop() {
	r.cancel()
	<-r.done
	r.cl.Close()
}
