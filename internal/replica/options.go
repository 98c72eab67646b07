package replica

import (
	"github.com/strom-project/strom/internal/wire"

	"context"
	"log/slog"
	"time"

	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/storage"
)

// AlterPartitionFunc proposes a new ISR for a partition this broker leads
// (Kafka's AlterPartition, sent to the active controller with this broker's
// epoch). leaderEpoch and partitionEpoch are the state the proposal is
// based on. It returns the committed state; of it, the replica manager uses
// ISR, LeaderEpoch and PartitionEpoch. Any error means "not committed as
// far as we know": the manager retries with backoff until it succeeds or
// the metadata image moves the partition on.
type AlterPartitionFunc func(ctx context.Context, topicID metadata.Uuid, partition, leaderEpoch, partitionEpoch int32, newISR []int32) (*metadata.Partition, error)

// Options configure a Manager.
type Options struct {
	NodeID int32
	Config *config.Broker
	Logs   *storage.Manager
	Logger *slog.Logger
	// Now is the clock for follower lag (replica.lag.time.max.ms); nil
	// means time.Now. Tests inject a fake one.
	Now func() time.Time
	// AlterPartition commits ISR changes through the controller. nil: the
	// ISR never changes from what the metadata image says (a single-node
	// broker needs nothing else).
	AlterPartition AlterPartitionFunc
	// ShrinkCheckInterval is how often leaders look for followers out of
	// sync; 0 means replica.lag.time.max.ms / 2, as Kafka's isr-expiration
	// task. Tests with a fake clock set it small and move the clock.
	ShrinkCheckInterval time.Duration
	// Security is how followers connect to leaders' inter-broker listener.
	Security wire.Security
}

// settings are the replication configs, read once from the broker config.
type settings struct {
	lagMs               int64         // replica.lag.time.max.ms
	fetchMaxBytes       int32         // replica.fetch.max.bytes
	fetchRespMaxBytes   int32         // replica.fetch.response.max.bytes
	fetchWaitMaxMs      int32         // replica.fetch.wait.max.ms
	fetchMinBytes       int32         // replica.fetch.min.bytes
	fetchBackoff        time.Duration // replica.fetch.backoff.ms
	commitTimeout       time.Duration // offsets.commit.timeout.ms: bound on AppendCoordinator
	interBrokerListener string
}

func readSettings(cfg *config.Broker) settings {
	num := func(name string, def int64) int64 {
		if cfg == nil {
			return def
		}
		if _, ok := config.BrokerDefs[name]; !ok {
			return def // not registered in this build: Kafka's default
		}
		return cfg.Int(name)
	}
	s := settings{
		lagMs:             num("replica.lag.time.max.ms", 30000),
		fetchMaxBytes:     int32(num("replica.fetch.max.bytes", 1<<20)),
		fetchRespMaxBytes: int32(num("replica.fetch.response.max.bytes", 10<<20)),
		fetchWaitMaxMs:    int32(num("replica.fetch.wait.max.ms", 500)),
		fetchMinBytes:     int32(num("replica.fetch.min.bytes", 1)),
		fetchBackoff:      time.Duration(num("replica.fetch.backoff.ms", 1000)) * time.Millisecond,
		commitTimeout:     time.Duration(num("offsets.commit.timeout.ms", 5000)) * time.Millisecond,
	}
	if cfg != nil {
		s.interBrokerListener = cfg.InterBrokerListener
	}
	return s
}
