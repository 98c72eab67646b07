package txn

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/strom-project/strom/internal/config"
)

// State is a transaction's state. The numbers are Kafka's TransactionState
// ids, written in TxnMetadataValue records; never renumber them.
type State int8

const (
	Empty             State = 0
	Ongoing           State = 1
	PrepareCommit     State = 2
	PrepareAbort      State = 3
	CompleteCommit    State = 4
	CompleteAbort     State = 5
	Dead              State = 6
	PrepareEpochFence State = 7
)

// String is Kafka's name of the state (DescribeTransactions and
// ListTransactions use it on the wire).
func (s State) String() string {
	switch s {
	case Empty:
		return "Empty"
	case Ongoing:
		return "Ongoing"
	case PrepareCommit:
		return "PrepareCommit"
	case PrepareAbort:
		return "PrepareAbort"
	case CompleteCommit:
		return "CompleteCommit"
	case CompleteAbort:
		return "CompleteAbort"
	case Dead:
		return "Dead"
	case PrepareEpochFence:
		return "PrepareEpochFence"
	}
	return "Unknown"
}

// preparing reports whether markers are being written for the state.
func (s State) preparing() bool {
	return s == PrepareCommit || s == PrepareAbort || s == PrepareEpochFence
}

// TopicPartition names one partition of a transaction.
type TopicPartition struct {
	Topic     string
	Partition int32
}

func sortPartitions(tps []TopicPartition) {
	slices.SortFunc(tps, func(a, b TopicPartition) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
}

// maxEpoch is the last producer epoch a producer id may use: at it, the
// next bump takes a new producer id (Kafka keeps MaxInt16 unused so that a
// fenced epoch+1 always exists).
const maxEpoch = math.MaxInt16 - 1

// txnMeta is one transactional id's state.
type txnMeta struct {
	id            string
	producerID    int64
	lastProducer  int64 // the producer id before the last id change (KIP-360), or -1
	epoch         int16
	lastEpoch     int16 // the epoch before the last bump, or -1: lets a retried InitProducerId succeed
	timeout       time.Duration
	state         State
	partitions    map[TopicPartition]bool
	start         time.Time // of the ongoing transaction; zero when none
	updated       time.Time
	markersQueued bool // a marker job is out for the current Prepare* state
	// tv2 marks a transaction ended by a KIP-890 part 2 client (EndTxn
	// v5+): its Prepare* state already carries the bumped epoch.
	tv2 bool
	// nextProducer is the producer id the transaction moves to when its
	// markers are written (TV2 epoch exhaustion), or -1.
	nextProducer int64
}

func (m *txnMeta) partitionList() []TopicPartition {
	out := make([]TopicPartition, 0, len(m.partitions))
	for tp := range m.partitions {
		out = append(out, tp)
	}
	sortPartitions(out)
	return out
}

func (m *txnMeta) clone() *txnMeta {
	c := *m
	c.partitions = make(map[TopicPartition]bool, len(m.partitions))
	for tp := range m.partitions {
		c.partitions[tp] = true
	}
	return &c
}

// Config holds the coordinator's settings (Kafka's transaction.* configs).
type Config struct {
	NumPartitions      int32         // transaction.state.log.num.partitions
	ReplicationFactor  int16         // transaction.state.log.replication.factor
	MinISR             int           // transaction.state.log.min.isr
	SegmentBytes       int64         // transaction.state.log.segment.bytes
	LoadBufferSize     int32         // transaction.state.log.load.buffer.size
	MaxTimeout         time.Duration // transaction.max.timeout.ms
	IDExpiration       time.Duration // transactional.id.expiration.ms
	AbortCheckInterval time.Duration // transaction.abort.timed.out.transaction.cleanup.interval.ms
	ExpiryInterval     time.Duration // transaction.remove.expired.transaction.cleanup.interval.ms
}

// ConfigFrom reads the coordinator's configs from the broker's.
func ConfigFrom(b *config.Broker) Config {
	ms := func(name string) time.Duration { return time.Duration(b.Int(name)) * time.Millisecond }
	return Config{
		NumPartitions:      int32(b.Int("transaction.state.log.num.partitions")),
		ReplicationFactor:  int16(b.Int("transaction.state.log.replication.factor")),
		MinISR:             int(b.Int("transaction.state.log.min.isr")),
		SegmentBytes:       b.Int("transaction.state.log.segment.bytes"),
		LoadBufferSize:     int32(b.Int("transaction.state.log.load.buffer.size")),
		MaxTimeout:         ms("transaction.max.timeout.ms"),
		IDExpiration:       ms("transactional.id.expiration.ms"),
		AbortCheckInterval: ms("transaction.abort.timed.out.transaction.cleanup.interval.ms"),
		ExpiryInterval:     ms("transaction.remove.expired.transaction.cleanup.interval.ms"),
	}
}

// DefaultConfig is Kafka's defaults (tests).
func DefaultConfig() Config {
	return Config{
		NumPartitions: 50, ReplicationFactor: 3, MinISR: 2, SegmentBytes: 100 << 20, LoadBufferSize: 5 << 20,
		MaxTimeout: 15 * time.Minute, IDExpiration: 7 * 24 * time.Hour,
		AbortCheckInterval: 10 * time.Second, ExpiryInterval: time.Hour,
	}
}
