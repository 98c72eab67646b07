package metrics

import (
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Traffic counts what clients wrote and read, per topic (Kafka's
// BytesInPerSec, MessagesInPerSec, BytesOutPerSec and
// ReplicationBytesOutPerSec): the Produce handler reports each appended
// partition, the Fetch handler each partition it served records from.
// The counters are plain atomics behind a sync.Map keyed by the topic
// name, so the hot path is a lock-free lookup and an atomic add; Prometheus
// reads them at scrape time. Safe for concurrent use.
type Traffic struct {
	topics sync.Map // topic name → *topicTraffic
	// exists, if set, says whether a topic still exists; a scrape forgets
	// the counters of deleted topics, so a cluster with topic churn does
	// not grow series forever.
	exists func(topic string) bool

	bytesIn, messagesIn, bytesOut, replicationOut *prometheus.Desc
}

type topicTraffic struct {
	bytesIn, messagesIn, bytesOut, replicationOut atomic.Uint64
}

// NewTraffic returns empty per-topic counters. exists may be nil (never
// forget a topic); set it before registering.
func NewTraffic(exists func(topic string) bool) *Traffic {
	l := []string{"topic"}
	return &Traffic{
		exists:     exists,
		bytesIn:    prometheus.NewDesc("strom_topic_bytes_in_total", "Record-batch bytes appended by Produce requests (leader side; idempotent duplicates excluded).", l, nil),
		messagesIn: prometheus.NewDesc("strom_topic_messages_in_total", "Records appended by Produce requests.", l, nil),
		bytesOut:   prometheus.NewDesc("strom_topic_bytes_out_total", "Record-batch bytes served to consumers by Fetch (replica fetches excluded).", l, nil),
		replicationOut: prometheus.NewDesc("strom_topic_replication_bytes_out_total",
			"Record-batch bytes served to follower replicas by Fetch.", l, nil),
	}
}

func (t *Traffic) topic(name string) *topicTraffic {
	if v, ok := t.topics.Load(name); ok {
		return v.(*topicTraffic)
	}
	v, _ := t.topics.LoadOrStore(name, &topicTraffic{})
	return v.(*topicTraffic)
}

// Produced records an append of bytes record-batch bytes holding records
// records to topic.
func (t *Traffic) Produced(topic string, bytes, records int64) {
	tt := t.topic(topic)
	tt.bytesIn.Add(uint64(bytes))
	tt.messagesIn.Add(uint64(records))
}

// Fetched records bytes of record batches served from topic, to a follower
// replica or to a consumer.
func (t *Traffic) Fetched(topic string, bytes int64, follower bool) {
	tt := t.topic(topic)
	if follower {
		tt.replicationOut.Add(uint64(bytes))
	} else {
		tt.bytesOut.Add(uint64(bytes))
	}
}

// Describe implements prometheus.Collector.
func (t *Traffic) Describe(ch chan<- *prometheus.Desc) {
	ch <- t.bytesIn
	ch <- t.messagesIn
	ch <- t.bytesOut
	ch <- t.replicationOut
}

// Collect implements prometheus.Collector.
func (t *Traffic) Collect(ch chan<- prometheus.Metric) {
	t.topics.Range(func(k, v any) bool {
		name := k.(string)
		if t.exists != nil && !t.exists(name) {
			t.topics.Delete(name)
			return true
		}
		tt := v.(*topicTraffic)
		ch <- prometheus.MustNewConstMetric(t.bytesIn, prometheus.CounterValue, float64(tt.bytesIn.Load()), name)
		ch <- prometheus.MustNewConstMetric(t.messagesIn, prometheus.CounterValue, float64(tt.messagesIn.Load()), name)
		ch <- prometheus.MustNewConstMetric(t.bytesOut, prometheus.CounterValue, float64(tt.bytesOut.Load()), name)
		ch <- prometheus.MustNewConstMetric(t.replicationOut, prometheus.CounterValue, float64(tt.replicationOut.Load()), name)
		return true
	})
}
