package txn

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/strom-project/strom/internal/controller"
	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/replica"
	"github.com/strom-project/strom/internal/storage"
)

// Metadata is what the coordinator needs from the controller.
type Metadata interface {
	Image() *metadata.Image
	CreateInternalTopic(ctx context.Context, t controller.CreateTopic) controller.CreateTopicResult
}

// Replicas gives the coordinator this broker's partitions.
type Replicas interface {
	Partition(topic string, index int32) (*replica.Partition, error)
}

// Options configure a Coordinator.
type Options struct {
	NodeID   int32
	Config   Config
	Metadata Metadata
	Replicas Replicas
	Markers  MarkerWriter
	// NewProducerID allocates a producer id (the broker's controller
	// blocks, shared with idempotent producers).
	NewProducerID func(ctx context.Context) (int64, error)
	// OffsetsPartitions is the partition count of __consumer_offsets
	// (offsets.topic.num.partitions before the topic exists).
	OffsetsPartitions int32
	// ExpectedBrokers caps the topic's replication factor (see the group
	// coordinator's); 0: cap at the live brokers.
	ExpectedBrokers int
	Logger          *slog.Logger
	Now             func() time.Time // nil: time.Now
}

// Coordinator is the transaction coordinator of one broker. It follows
// the metadata image (Apply): for every __transaction_state partition this
// broker leads it runs a shard that loads the partition and then owns its
// transactional ids. Methods are safe for concurrent use.
type Coordinator struct {
	opts   Options
	logger *slog.Logger

	createMu sync.Mutex

	mu            sync.RWMutex
	shards        map[int32]*shard
	retired       map[int32]*shard
	numPartitions int32
	topicID       metadata.Uuid
	closed        bool
	wg            sync.WaitGroup
}

// New returns a coordinator with no partitions; subscribe Apply to the
// metadata after the replica manager.
func New(opts Options) *Coordinator {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Coordinator{opts: opts, logger: opts.Logger, shards: map[int32]*shard{}, retired: map[int32]*shard{}}
}

// Apply starts shards for the partitions this broker now leads and stops
// the others. It runs on the metadata apply goroutine and does not block.
func (c *Coordinator) Apply(_, next *metadata.Image) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	t := next.Topics[StateTopic]
	if t == nil || t.ID != c.topicID {
		c.stopAllLocked()
		c.numPartitions, c.topicID = 0, metadata.Uuid{}
		if t == nil {
			return
		}
		c.topicID = t.ID
	}
	c.numPartitions = int32(len(t.Partitions))
	lead := map[int32]int32{}
	for _, p := range t.Partitions {
		if p.Leader == c.opts.NodeID {
			lead[p.Partition] = p.LeaderEpoch
		}
	}
	for p, s := range c.shards {
		if e, ok := lead[p]; !ok || e != s.epoch {
			// A new leader epoch is a new coordinator epoch, which
			// markers carry: restart the shard under it.
			s.stop()
			delete(c.shards, p)
			c.retired[p] = s
		}
	}
	for p, epoch := range lead {
		if c.shards[p] != nil {
			continue
		}
		rp, err := c.opts.Replicas.Partition(StateTopic, p)
		if err != nil {
			c.logger.Error("transaction state partition led here is not hosted", "partition", p, "err", err)
			continue
		}
		s := newShard(p, epoch, replicaLog{rp}, c.opts.Config, c.opts.Markers, c.newProducerID, c.opts.Now, c.logger)
		// A predecessor may still be finishing a write; the new shard
		// loads only after it has.
		s.prev = c.retired[p]
		delete(c.retired, p)
		c.shards[p] = s
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			s.run()
		}()
	}
}

func (c *Coordinator) newProducerID() (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return c.opts.NewProducerID(ctx)
}

func (c *Coordinator) stopAllLocked() {
	for p, s := range c.shards {
		s.stop()
		delete(c.shards, p)
		c.retired[p] = s
	}
}

// Close stops every shard and waits for them (and their marker jobs).
func (c *Coordinator) Close() {
	c.mu.Lock()
	c.closed = true
	c.stopAllLocked()
	c.mu.Unlock()
	c.wg.Wait()
}

func (c *Coordinator) shardFor(id string) (*shard, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	switch {
	case c.closed:
		return nil, kerr.CoordinatorNotAvailable
	case c.numPartitions == 0:
		return nil, kerr.NotCoordinator
	}
	s := c.shards[PartitionFor(id, c.numPartitions)]
	if s == nil {
		return nil, kerr.NotCoordinator
	}
	return s, nil
}

func (c *Coordinator) allShards() []*shard {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*shard, 0, len(c.shards))
	for _, s := range c.shards {
		out = append(out, s)
	}
	return out
}

// on runs fn on the shard of id; errors are Kafka's (kerr).
func (c *Coordinator) on(ctx context.Context, id string, fn func(c *core, now time.Time) error) error {
	s, err := c.shardFor(id)
	if err != nil {
		return err
	}
	var res error
	if err := s.do(ctx, func(co *core, now time.Time) { res = fn(co, now) }); err != nil {
		return err
	}
	return res
}

// InitProducerID is InitProducerId for a transactional id.
func (c *Coordinator) InitProducerID(ctx context.Context, id string, timeout time.Duration, pid int64, epoch int16) InitResult {
	var res InitResult
	err := c.on(ctx, id, func(co *core, now time.Time) error {
		res = co.initProducer(id, timeout, pid, epoch, now)
		return nil
	})
	if err != nil {
		return InitResult{ProducerID: -1, ProducerEpoch: -1, Err: err}
	}
	return res
}

// AddPartitions is AddPartitionsToTxn for one transaction.
func (c *Coordinator) AddPartitions(ctx context.Context, id string, pid int64, epoch int16, tps []TopicPartition, verifyOnly bool) error {
	return c.on(ctx, id, func(co *core, now time.Time) error {
		return co.addPartitions(id, pid, epoch, tps, verifyOnly, now)
	})
}

// AddOffsets is AddOffsetsToTxn: the group's __consumer_offsets partition
// joins the transaction, so the commit or abort marker reaches it.
func (c *Coordinator) AddOffsets(ctx context.Context, id string, pid int64, epoch int16, group string) error {
	n := c.opts.OffsetsPartitions
	if t := c.opts.Metadata.Image().Topics[OffsetsTopic]; t != nil && len(t.Partitions) > 0 {
		n = int32(len(t.Partitions))
	}
	if n <= 0 {
		return kerr.CoordinatorNotAvailable
	}
	tp := TopicPartition{OffsetsTopic, PartitionFor(group, n)}
	return c.AddPartitions(ctx, id, pid, epoch, []TopicPartition{tp}, false)
}

// EndTxn commits or aborts a transaction. bumpEpoch is transaction
// version 2 (EndTxn v5+, KIP-890 part 2): the epoch is bumped and the
// result is what the producer continues with.
func (c *Coordinator) EndTxn(ctx context.Context, id string, pid int64, epoch int16, commit, bumpEpoch bool) (EndResult, error) {
	res := noEnd
	err := c.on(ctx, id, func(co *core, now time.Time) error {
		if !bumpEpoch {
			return co.endTxn(id, pid, epoch, commit, now)
		}
		var err error
		res, err = co.endTxnV2(id, pid, epoch, commit, now)
		return err
	})
	if err != nil {
		return noEnd, err
	}
	return res, nil
}

// replicaLog adapts a replica partition to StateLog.
type replicaLog struct{ p *replica.Partition }

func (r replicaLog) Append(b []byte) error {
	_, err := r.p.AppendCoordinator(b)
	return err
}

func (r replicaLog) Read(offset int64, maxBytes int32) (storage.ReadResult, error) {
	return r.p.Log.Read(offset, maxBytes, true, r.p.Log.LogEndOffset())
}

func (r replicaLog) LogStartOffset() int64 { return r.p.Log.LogStartOffset() }
func (r replicaLog) LogEndOffset() int64   { return r.p.Log.LogEndOffset() }
