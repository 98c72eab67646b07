package durability

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strom-project/strom/internal/teststrom"
)

// session is one producer session: a fresh idempotent franz-go client.
type session struct {
	topic      string
	partitions int32
	acks       int // acknowledgements to wait for
	pad        int // value bytes after the id
	// interrupt, when set, runs as soon as acks arrived, while the producer
	// keeps producing (Kill or Stop: a crash or shutdown mid-stream). Unless
	// resume is set, the session then gives up its unacknowledged records.
	// When nil, the session stops producing and flushes, and every record
	// must be acknowledged.
	interrupt func() error
	// resume, when set, runs after interrupt while the same client keeps
	// retrying (Restart): the broker must recognise retried batches it wrote
	// before the crash from the producer state it recovered. The session then
	// waits for acks more acknowledgements, stops and flushes, and every
	// record must be acknowledged.
	resume func() error
	// deafen, with interrupt, makes the client stop hearing the broker (its
	// connections swallow every response) until the broker has written
	// records the client never saw acknowledged, then interrupts: with
	// resume, the client resends those, and the broker must recognise them.
	deafen bool
}

// produce runs one producer session against b. With deafen, it returns how
// many records the broker had written unheard when interrupted; else -1.
func (sp session) produce(t *testing.T, b *teststrom.Broker, led *ledger) (unheard int64) {
	t.Helper()
	p := sp.start(t, b, led)
	p.await(0)
	unheard = -1
	if sp.interrupt != nil {
		if sp.deafen {
			p.deafenUntilUnheard()
		}
		if err := sp.interrupt(); err != nil {
			p.fail("interrupting the broker: %v", err)
		}
		if sp.deafen {
			var err error
			if unheard, err = p.unheard(); err != nil {
				p.fail("counting records on disk: %v", err)
			}
			p.dialer.deaf.Store(false)
		}
		if sp.resume == nil {
			p.finish(true)
			return unheard
		}
		if err := sp.resume(); err != nil {
			p.fail("resuming the broker: %v", err)
		}
		p.await(1)
	}
	p.finish(false)
	if att, ack, ferr := led.stats(p.id); ack != att {
		t.Errorf("session %d: %d of %d records acknowledged by a healthy broker; first error %v", p.id, ack, att, ferr)
	}
	return unheard
}

// producer is a running session: one client and the goroutine feeding it.
type producer struct {
	t      *testing.T
	sp     session
	b      *teststrom.Broker
	led    *ledger
	id     int // session number in led
	dialer *deafDialer
	cl     *kgo.Client
	before int64 // records of the topic on disk when the session started

	ctx        context.Context // cancelled to give up unacknowledged records
	cancel     context.CancelFunc
	stopping   atomic.Bool
	acks       atomic.Int64
	milestones []chan struct{} // closed at acks and 2×acks acknowledgements
	done       chan struct{}   // closed when the producing goroutine returns
}

func (sp session) start(t *testing.T, b *teststrom.Broker, led *ledger) *producer {
	t.Helper()
	p := &producer{t: t, sp: sp, b: b, led: led, id: led.newSession(), dialer: &deafDialer{},
		milestones: []chan struct{}{make(chan struct{}), make(chan struct{})}, done: make(chan struct{})}
	var err error
	if p.before, err = recordsOnDisk(b.DataDir(), sp.topic); err != nil {
		t.Fatal(err)
	}
	p.cl, err = kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.MaxBufferedRecords(8192), kgo.Dialer(p.dialer.dial),
		// After a failed produce the client refreshes metadata, at most
		// every 5s by default: the whole wait for a restarted broker.
		kgo.MetadataMinAge(100*time.Millisecond))
	if err != nil {
		t.Fatalf("kgo.NewClient: %v", err)
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	go p.loop()
	return p
}

// loop produces sequential values until stopped.
func (p *producer) loop() {
	defer close(p.done)
	for !p.stopping.Load() && p.ctx.Err() == nil {
		seq := p.led.attempt(p.id)
		r := &kgo.Record{Topic: p.sp.topic, Partition: int32(seq) % p.sp.partitions, Value: value(p.id, seq, p.sp.pad)}
		p.cl.Produce(p.ctx, r, func(_ *kgo.Record, err error) {
			p.led.result(p.id, seq, err)
			if err != nil {
				return
			}
			n := p.acks.Add(1)
			for i, m := range p.milestones {
				if n == int64((i+1)*p.sp.acks) {
					close(m)
				}
			}
		})
	}
}

// await waits for milestone i: (i+1)×acks acknowledgements.
func (p *producer) await(i int) {
	p.t.Helper()
	select {
	case <-p.milestones[i]:
	case <-time.After(produceTimeout):
		p.fail("not %d acknowledgements within %v", (i+1)*p.sp.acks, produceTimeout)
	}
}

// deafenUntilUnheard makes the client deaf and waits until the broker has
// written records of this session that the client has not heard acknowledged.
func (p *producer) deafenUntilUnheard() {
	p.t.Helper()
	p.dialer.deaf.Store(true)
	lastAcks := int64(-1)
	err := poll(produceTimeout, func() error {
		if n := p.acks.Load(); n != lastAcks {
			lastAcks = n // promises for responses heard before are still running
			return errors.New("acknowledgements still arriving")
		}
		n, err := p.unheard()
		if err == nil && n <= 0 {
			err = errors.New("the broker has written nothing unheard yet")
		}
		return err
	})
	if err != nil {
		p.fail("deafened producer: %v", err)
	}
}

// unheard counts records this session wrote to disk but has not had acknowledged.
func (p *producer) unheard() (int64, error) {
	n, err := recordsOnDisk(p.b.DataDir(), p.sp.topic)
	_, ack, _ := p.led.stats(p.id)
	return n - p.before - int64(ack), err
}

// finish stops producing and closes the client within bounds; with abandon,
// unacknowledged records are given up instead of flushed.
func (p *producer) finish(abandon bool) {
	p.t.Helper()
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
	if !abandon {
		fctx, fcancel := context.WithTimeout(p.ctx, produceTimeout)
		if err := p.cl.Flush(fctx); err != nil {
			p.t.Errorf("session %d: flush: %v", p.id, err)
		}
		fcancel()
	}
	p.cancel()
	closeClient(p.t, p.cl)
}

// fail gives up the session and fails the test.
func (p *producer) fail(format string, args ...any) {
	p.t.Helper()
	p.finish(true)
	att, ack, ferr := p.led.stats(p.id)
	p.t.Fatalf("session %d: %s (%d attempted, %d acknowledged; first error %v)", p.id, fmt.Sprintf(format, args...), att, ack, ferr)
}

// closeClient closes cl, failing t if that does not return within closeTimeout.
func closeClient(t *testing.T, cl *kgo.Client) {
	t.Helper()
	closed := make(chan struct{})
	go func() { cl.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(closeTimeout):
		t.Fatalf("franz-go client did not close within %v", closeTimeout)
	}
}
