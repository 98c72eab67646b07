package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// ConsumeConfig describes a consume run.
type ConsumeConfig struct {
	Brokers []string `json:"brokers"`
	Topic   string   `json:"topic"`
	// ClientOpts are extra client options: TLS, SASL.
	ClientOpts []kgo.Opt `json:"-"`

	// Records to read before stopping. 0 with From "start" means every
	// record present when the run starts; 0 with From "end" means no limit.
	Records  int64         `json:"records"`
	Duration time.Duration `json:"duration_ns"` // 0: no limit
	// From is "start" (log start offsets) or "end" (only records produced
	// after the run starts).
	From string `json:"from"`
	// Consumers is the number of independent clients; partitions are dealt
	// round-robin among them. 0 means 1; more than partitions means one per
	// partition.
	Consumers int `json:"consumers"`

	Progress Progress `json:"-"`
}

func (c *ConsumeConfig) validate() error {
	switch {
	case len(c.Brokers) == 0:
		return errors.New("no brokers")
	case c.Topic == "":
		return errors.New("no topic")
	case c.Records < 0 || c.Duration < 0:
		return errors.New("negative records or duration")
	case c.From != "start" && c.From != "end":
		return fmt.Errorf("invalid from %q: want start or end", c.From)
	}
	c.Consumers = max(c.Consumers, 1)
	return nil
}

// Consume runs a consume benchmark and reports records read and their
// throughput. Consumers start at explicit offsets listed when the run
// begins, so no offset reset policy is involved.
func Consume(ctx context.Context, cfg ConsumeConfig) (*Result, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	parts, err := listTopic(ctx, cfg.Brokers, cfg.ClientOpts, cfg.Topic)
	if err != nil {
		return nil, err
	}
	from := func(p partitionOffsets) kgo.Offset { return kgo.NewOffset().At(p.Start) }
	if cfg.From == "end" {
		from = func(p partitionOffsets) kgo.Offset { return kgo.NewOffset().At(p.End) }
	}
	// "Everything present at start" is tracked per partition, not only as
	// a count: offsets can have gaps (compaction, transaction markers).
	var tail *tailTracker
	if cfg.Records == 0 && cfg.From == "start" {
		tail = newTailTracker(parts)
		for _, p := range parts {
			cfg.Records += p.End - p.Start
		}
		if cfg.Records == 0 {
			return nil, fmt.Errorf("topic %q is empty: produce first, or use --from end", cfg.Topic)
		}
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if cfg.Duration > 0 {
		var stopTimer context.CancelFunc
		runCtx, stopTimer = context.WithTimeout(runCtx, cfg.Duration)
		defer stopTimer()
	}
	var c counters
	onFetches := func(fs kgo.Fetches) {
		var n, b int64
		fs.EachPartition(func(p kgo.FetchTopicPartition) {
			for _, r := range p.Records {
				n++
				b += int64(len(r.Key) + len(r.Value))
			}
			if tail != nil && len(p.Records) > 0 && tail.reached(p.Partition, p.Records[len(p.Records)-1].Offset) {
				cancel()
			}
		})
		c.add(n, b)
		if cfg.Records > 0 && c.records.Load() >= cfg.Records {
			cancel()
		}
	}
	fatal := func(err error) {
		c.fail(err)
		cancel()
	}

	stop := cfg.Progress.start("consume", &c, nil)
	start := time.Now()
	err = consumeLoad(runCtx, cfg.Brokers, cfg.ClientOpts, assign(cfg.Topic, parts, cfg.Consumers, from), onFetches, fatal)
	elapsed := time.Since(start)
	stop()
	if err != nil {
		return nil, err
	}
	res := &Result{Mode: "consume", Topic: cfg.Topic, Config: &cfg, Interrupted: ctx.Err() != nil}
	c.fill(res, elapsed)
	return res, nil
}

// tailTracker tells when every partition has been read up to the end offset
// it had when the run started. Safe for concurrent use.
type tailTracker struct {
	ends    map[int32]int64 // read-only after construction
	done    map[int32]*atomic.Bool
	pending atomic.Int64
}

func newTailTracker(parts []partitionOffsets) *tailTracker {
	t := &tailTracker{ends: map[int32]int64{}, done: map[int32]*atomic.Bool{}}
	for _, p := range parts {
		t.ends[p.Partition], t.done[p.Partition] = p.End, new(atomic.Bool)
		if p.End > p.Start {
			t.pending.Add(1)
		} else {
			t.done[p.Partition].Store(true)
		}
	}
	return t
}

// reached records that partition has been read through offset and reports
// whether that completed the last pending partition.
func (t *tailTracker) reached(partition int32, offset int64) bool {
	end, ok := t.ends[partition]
	if !ok || offset+1 < end || !t.done[partition].CompareAndSwap(false, true) {
		return false
	}
	return t.pending.Add(-1) == 0
}

// listTopic lists topic's partitions and offsets with a short-lived client.
// It doubles as the check that the brokers answer and the topic exists, so
// a run fails in seconds rather than after the client's retries.
func listTopic(ctx context.Context, brokers []string, extra []kgo.Opt, topic string) ([]partitionOffsets, error) {
	cl, err := kgo.NewClient(baseOptions(brokers, extra, "admin")...)
	if err != nil {
		return nil, fmt.Errorf("admin client: %w", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, listTimeout)
	defer cancel()
	parts, err := listOffsets(ctx, cl, topic)
	if errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("no answer from brokers %v within %v: %w", brokers, listTimeout, err)
	}
	return parts, topicHint(err)
}

// listTimeout bounds listTopic.
const listTimeout = 15 * time.Second

// consumeLoad polls with one client per assignment until ctx ends, handing
// every fetch to onFetches (called concurrently, one goroutine per client)
// and every non-context fetch error to fatal. It returns once all clients
// are closed.
func consumeLoad(ctx context.Context, brokers []string, extra []kgo.Opt, assigns []map[string]map[int32]kgo.Offset,
	onFetches func(kgo.Fetches), fatal func(error),
) error {
	clients := make([]*kgo.Client, 0, len(assigns))
	defer func() {
		for _, cl := range clients {
			cl.Close()
		}
	}()
	for _, a := range assigns {
		cl, err := kgo.NewClient(append(baseOptions(brokers, extra, "consumer"), kgo.ConsumePartitions(a))...)
		if err != nil {
			return fmt.Errorf("consumer client: %w", err)
		}
		clients = append(clients, cl)
	}
	var wg sync.WaitGroup
	for _, cl := range clients {
		wg.Go(func() {
			for ctx.Err() == nil {
				fs := cl.PollFetches(ctx)
				fs.EachError(func(topic string, p int32, err error) {
					if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
						fatal(fmt.Errorf("fetch %s/%d: %w", topic, p, err))
					}
				})
				onFetches(fs)
			}
		})
	}
	wg.Wait()
	return nil
}
