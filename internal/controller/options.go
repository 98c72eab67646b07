package controller

import (
	"log/slog"
	"time"

	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/raft"
)

// Options configure the controller.
type Options struct {
	NodeID      int32
	MetadataDir string // where the metadata log (raft WAL + snapshots) and meta.properties live
	Logger      *slog.Logger
	// Now is the clock of every timing decision (broker sessions, leader
	// rebalancing); tests pass a fake one. Default time.Now.
	Now func() time.Time

	// Voters are the node ids of the metadata quorum
	// (controller.quorum.voters); empty: this node alone. Every voter runs a
	// controller; the raft leader's is the active one.
	Voters []int32
	// Transport carries raft messages between voters; nil for one voter. If
	// it has a SetNode(*raft.Node) method (raft.TCPTransport does), Start
	// calls it with the started node.
	Transport raft.Transport

	// Defaults for topic creation.
	NumPartitions            int32 // num.partitions
	DefaultReplicationFactor int16 // default.replication.factor
	// ValidateTopicConfig checks one topic config name/value (config registry).
	ValidateTopicConfig func(name, value string) error
	// ValidateTopicConfigSet checks the rules between a new topic's
	// configs (config.ValidateTopicConfigSet); nil: none.
	ValidateTopicConfigSet func(configs map[string]string) error
	// TopicConfig resolves a topic config the controller acts on
	// (unclean.leader.election.enable): the topic's value, else the broker
	// default. Default: the topic's dynamic config, else the cluster-wide
	// dynamic broker config of the same name, else "".
	TopicConfig func(im *metadata.Image, topic, name string) string

	// ClusterID is the cluster id to use if this node formats a new cluster
	// (like `kafka-storage format -t`): the first active controller of a new
	// metadata log commits it, or a random id if empty. Once meta.properties
	// exists a different non-empty ClusterID is an error.
	ClusterID string

	// BrokerSessionTimeout fences a broker that has not heartbeated for this
	// long (broker.session.timeout.ms); default 9s.
	BrokerSessionTimeout time.Duration
	// AutoLeaderRebalance moves leadership back to preferred replicas
	// (auto.leader.rebalance.enable); nil means true.
	AutoLeaderRebalance *bool
	// LeaderImbalanceCheckInterval is how often that happens
	// (leader.imbalance.check.interval.seconds); default 300s.
	LeaderImbalanceCheckInterval time.Duration

	// SnapshotEvery: snapshot the image and compact the metadata log after
	// this many entries (metadata.log.max.snapshot.interval… in spirit);
	// default 10,000.
	SnapshotEvery uint64
	// TickInterval is the raft tick; default 100ms.
	TickInterval time.Duration
}

// DefaultBrokerSessionTimeout is Kafka's broker.session.timeout.ms default.
const DefaultBrokerSessionTimeout = 9 * time.Second

// DefaultLeaderImbalanceCheckInterval is Kafka's
// leader.imbalance.check.interval.seconds default.
const DefaultLeaderImbalanceCheckInterval = 300 * time.Second

func (o *Options) setDefaults() {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NumPartitions <= 0 {
		o.NumPartitions = 1
	}
	if o.DefaultReplicationFactor <= 0 {
		o.DefaultReplicationFactor = 1
	}
	if o.ValidateTopicConfig == nil {
		o.ValidateTopicConfig = func(string, string) error { return nil }
	}
	if o.TopicConfig == nil {
		o.TopicConfig = imageTopicConfig
	}
	if o.BrokerSessionTimeout <= 0 {
		o.BrokerSessionTimeout = DefaultBrokerSessionTimeout
	}
	if o.AutoLeaderRebalance == nil {
		o.AutoLeaderRebalance = new(true)
	}
	if o.LeaderImbalanceCheckInterval <= 0 {
		o.LeaderImbalanceCheckInterval = DefaultLeaderImbalanceCheckInterval
	}
}

// checkInterval is how often the event loop runs its periodic work (stale
// broker sessions, leader rebalancing, noticing leadership changes).
func (o *Options) checkInterval() time.Duration {
	return min(max(o.BrokerSessionTimeout/8, 10*time.Millisecond), time.Second)
}

// imageTopicConfig is the default Options.TopicConfig.
func imageTopicConfig(im *metadata.Image, topic, name string) string {
	if v, ok := im.TopicConfig(topic, name); ok {
		return v
	}
	return im.Configs[metadata.ConfigResource{Type: metadata.BrokerResource}][name]
}
