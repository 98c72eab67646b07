package metrics

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/strom-project/strom/internal/metadata"
)

// PartitionState is one partition hosted on this broker as a scrape sees
// it.
type PartitionState struct {
	Topic     string
	Partition int32
	Leader    bool // this broker leads it
	// Replicas is the replication factor: the target replicas while a
	// reassignment is in progress (Kafka's replicationFactor).
	Replicas int
	ISR      int
	// MinISR is min.insync.replicas in effect: the topic's, capped by
	// Replicas (Kafka's effectiveMinIsr).
	MinISR         int
	LogStartOffset int64
	LogEndOffset   int64
	HighWatermark  int64
	SizeBytes      int64
}

// GroupLag is one committed offset of a consumer group and its lag (high
// watermark minus committed offset; negative when unknown here).
type GroupLag struct {
	Group     string
	Topic     string
	Partition int32
	Committed int64
	Lag       int64
}

// Sources is where StateCollector reads broker state at scrape time. A
// nil function leaves its metrics out.
type Sources struct {
	// Partitions lists the partitions hosted here.
	Partitions func() []PartitionState
	// Image is this broker's current metadata image.
	Image func() *metadata.Image
	// ControllerActive reports whether this node is the active controller.
	ControllerActive func() bool
	// ISRChanges are the ISR shrinks and expansions this broker, as leader,
	// had committed (counters).
	ISRChanges func() (shrinks, expands int64)
	// LogDirs are the log.dirs entries to report disk space for.
	LogDirs []string
	// GroupLag reports committed offsets and lag of the consumer groups
	// this broker coordinates (group.Coordinator.Lag).
	GroupLag func(ctx context.Context) ([]GroupLag, error)
	// MaxLagSeries caps the group-lag series per scrape; default 10000.
	MaxLagSeries int
	// LagTimeout bounds the GroupLag call; default 2s.
	LagTimeout time.Duration
}

// StateCollector computes gauges from broker state when Prometheus
// scrapes: partitions and their logs, the controller, disk space and
// consumer-group lag. Nothing on the request path updates it.
type StateCollector struct {
	src   Sources
	descs stateDescs
}

// NewStateCollector returns a collector reading src.
func NewStateCollector(src Sources) *StateCollector {
	if src.MaxLagSeries <= 0 {
		src.MaxLagSeries = 10000
	}
	if src.LagTimeout <= 0 {
		src.LagTimeout = 2 * time.Second
	}
	return &StateCollector{src: src, descs: newStateDescs()}
}

// Describe implements prometheus.Collector.
func (c *StateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs.all() {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *StateCollector) Collect(ch chan<- prometheus.Metric) {
	if c.src.Partitions != nil {
		c.collectPartitions(ch, c.src.Partitions())
	}
	if c.src.Image != nil {
		c.collectImage(ch, c.src.Image())
	}
	d := &c.descs
	if c.src.ControllerActive != nil {
		ch <- gauge(d.controllerActive, boolFloat(c.src.ControllerActive()))
	}
	if c.src.ISRChanges != nil {
		shrinks, expands := c.src.ISRChanges()
		ch <- prometheus.MustNewConstMetric(d.isrShrinks, prometheus.CounterValue, float64(shrinks))
		ch <- prometheus.MustNewConstMetric(d.isrExpands, prometheus.CounterValue, float64(expands))
	}
	c.collectDisk(ch)
	c.collectLag(ch)
}

// collectPartitions reports the partition counts (Kafka's ReplicaManager
// gauges, which count partitions this broker leads for the
// under-replicated ones) and each partition's log.
func (c *StateCollector) collectPartitions(ch chan<- prometheus.Metric, parts []PartitionState) {
	d := &c.descs
	var leaders, under, underMin int
	for _, p := range parts {
		if p.Leader {
			leaders++
			if p.ISR < p.Replicas {
				under++
			}
			if p.ISR < p.MinISR {
				underMin++
			}
		}
		tp := []string{p.Topic, strconv.Itoa(int(p.Partition))}
		ch <- gauge(d.logSize, float64(p.SizeBytes), tp...)
		ch <- gauge(d.logStart, float64(p.LogStartOffset), tp...)
		ch <- gauge(d.logEnd, float64(p.LogEndOffset), tp...)
		ch <- gauge(d.highWatermark, float64(p.HighWatermark), tp...)
	}
	ch <- gauge(d.partitions, float64(len(parts)))
	ch <- gauge(d.leaders, float64(leaders))
	ch <- gauge(d.underReplicated, float64(under))
	ch <- gauge(d.underMinISR, float64(underMin))
}

// collectImage reports cluster-wide state from this broker's metadata
// image: the same on every broker once caught up.
func (c *StateCollector) collectImage(ch chan<- prometheus.Metric, im *metadata.Image) {
	if im == nil {
		return
	}
	d := &c.descs
	offline := 0
	for _, t := range im.Topics {
		for _, p := range t.Partitions {
			if p != nil && p.Leader < 0 {
				offline++
			}
		}
	}
	var fenced, unfenced, shuttingDown int
	for _, b := range im.Brokers {
		switch {
		case b.Fenced:
			fenced++
		case b.InControlledShutdown:
			shuttingDown++
		default:
			unfenced++
		}
	}
	ch <- gauge(d.offline, float64(offline))
	ch <- gauge(d.metadataOffset, float64(im.Offset))
	ch <- gauge(d.brokers, float64(unfenced), "unfenced")
	ch <- gauge(d.brokers, float64(fenced), "fenced")
	ch <- gauge(d.brokers, float64(shuttingDown), "controlled_shutdown")
}

func gauge(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
