package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics is one broker's private registry and its hot-path instruments.
type Metrics struct {
	Registry *prometheus.Registry
	Requests *Requests
	Traffic  *Traffic
	// Throttles counts client-quota throttles.
	Throttles *Throttles
}

// New builds a registry with the Go runtime and process collectors, the
// request metrics and the per-topic traffic counters. topicExists (may be
// nil) lets a scrape forget the traffic of deleted topics.
func New(topicExists func(topic string) bool) *Metrics {
	m := &Metrics{Registry: prometheus.NewRegistry(), Requests: NewRequests(), Traffic: NewTraffic(topicExists), Throttles: NewThrottles()}
	m.Registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.Traffic,
	)
	m.Registry.MustRegister(m.Requests.Collectors()...)
	m.Registry.MustRegister(m.Throttles.Collectors()...)
	return m
}

// AddState registers the scrape-time gauges reading src. Call it once the
// sources exist; until then a scrape has no state gauges.
func (m *Metrics) AddState(src Sources) error {
	return m.Registry.Register(NewStateCollector(src))
}
