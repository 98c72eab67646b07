package group

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"sync"
	"time"

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
	// ExpectedBrokers is the number of brokers the cluster is configured
	// with (its voters, in combined mode); 0: unknown, cap the offsets
	// topic's replication factor at the live brokers instead.
	ExpectedBrokers int
	Logger          *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// NewMemberID returns a fresh member id for a client id (or instance
	// id); nil means prefix + "-" + a random UUID, as Kafka.
	NewMemberID func(prefix string) string
}

// Coordinator is the consumer-group coordinator of one broker. It follows
// the metadata image (Apply): for every __consumer_offsets partition this
// broker leads it runs a shard that loads the partition and then owns its
// groups. Methods are safe for concurrent use; each routes to the group's
// shard and runs there.
type Coordinator struct {
	opts   Options
	logger *slog.Logger

	createMu sync.Mutex // one topic creation at a time

	mu            sync.RWMutex
	shards        map[int32]*shard
	retired       map[int32]*shard // the last stopped shard per partition, until a successor starts
	numPartitions int32
	topicID       metadata.Uuid
	closed        bool
	wg            sync.WaitGroup
}

// New returns a coordinator with no partitions; subscribe Apply to the
// metadata (after the replica manager, which opens the logs) to start it.
func New(opts Options) *Coordinator {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.NewMemberID == nil {
		opts.NewMemberID = randomMemberID
	}
	return &Coordinator{opts: opts, logger: opts.Logger, shards: map[int32]*shard{}, retired: map[int32]*shard{}}
}

func randomMemberID(prefix string) string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%s-%x-%x-%x-%x-%x", prefix, b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Apply starts shards for offsets partitions this broker now leads and
// stops those it no longer leads. It is a metadata subscriber: it runs on
// the apply goroutine and does not block (loading happens on the shard).
func (c *Coordinator) Apply(_, next *metadata.Image) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	t := next.Topics[OffsetsTopic]
	if t == nil || t.ID != c.topicID {
		// No topic, or a new one (new logs): nothing running stays valid.
		c.stopAllLocked()
		c.numPartitions, c.topicID = 0, metadata.Uuid{}
		if t == nil {
			return
		}
		c.topicID = t.ID
	}
	c.numPartitions = int32(len(t.Partitions))
	lead := map[int32]bool{}
	for _, p := range t.Partitions {
		if p.Leader == c.opts.NodeID {
			lead[p.Partition] = true
		}
	}
	for p, s := range c.shards {
		if !lead[p] {
			c.logger.Info("no longer coordinating offsets partition", "partition", p)
			s.stop()
			delete(c.shards, p)
			c.retired[p] = s
		}
	}
	for p := range lead {
		if c.shards[p] != nil {
			continue
		}
		rp, err := c.opts.Replicas.Partition(OffsetsTopic, p)
		if err != nil {
			c.logger.Error("offsets partition led here is not hosted", "partition", p, "err", err)
			continue
		}
		s := newShard(p, replicaLog{rp}, c.opts.Config, c.opts.Now, c.opts.NewMemberID, c.logger)
		// A predecessor may still be finishing a write; the new shard
		// loads only after it has, so it sees that write.
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

func (c *Coordinator) stopAllLocked() {
	for p, s := range c.shards {
		s.stop()
		delete(c.shards, p)
		c.retired[p] = s
	}
}

// Close stops every shard (waiting requests get NOT_COORDINATOR) and waits
// for them. Call it before the logs close.
func (c *Coordinator) Close() {
	c.mu.Lock()
	c.closed = true
	c.stopAllLocked()
	c.mu.Unlock()
	c.wg.Wait()
}

// shardFor routes a group to its shard.
func (c *Coordinator) shardFor(groupID string) (*shard, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	switch {
	case c.closed:
		return nil, ErrCoordinatorNotAvailable
	case c.numPartitions == 0:
		return nil, ErrNotCoordinator
	}
	s := c.shards[PartitionFor(groupID, c.numPartitions)]
	if s == nil {
		return nil, ErrNotCoordinator
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

// replicaLog adapts a replica partition to OffsetsLog.
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
