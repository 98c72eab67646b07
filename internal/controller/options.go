package controller

import (
	"log/slog"
	"time"

	"github.com/strom-project/strom/internal/metadata"
)

// Options configure the controller (combined mode: one voter, this node).
type Options struct {
	NodeID      int32
	MetadataDir string // where the metadata log (raft WAL + snapshots) and meta.properties live
	Logger      *slog.Logger
	Now         func() time.Time
	// Defaults for topic creation.
	NumPartitions            int32 // num.partitions
	DefaultReplicationFactor int16 // default.replication.factor
	// ValidateTopicConfig checks one topic config name/value (config registry).
	ValidateTopicConfig func(name, value string) error

	// ClusterID is used when MetadataDir is formatted for the first time
	// (like `kafka-storage format -t`); empty: a random id. Once
	// meta.properties exists a different non-empty ClusterID is an error.
	ClusterID string
	// Endpoints and Rack are this node's broker registration, made on every
	// Start (a broker may re-register later with RegisterBroker).
	Endpoints []metadata.Endpoint
	Rack      *string
	// SnapshotEvery: snapshot the image and compact the metadata log after
	// this many entries (metadata.log.max.snapshot.interval… in spirit);
	// default 10,000.
	SnapshotEvery uint64
	// TickInterval is the raft tick; default 100ms.
	TickInterval time.Duration
}

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
}
