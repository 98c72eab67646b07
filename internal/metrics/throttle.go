package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Throttles counts client-quota throttles (internal/quota) per quota kind
// (produce, fetch, request): how many responses carried a throttle time
// and how long clients were held in all. Kafka's equivalent is the
// per-client throttle-time sensors; per client id would be unbounded, so
// only the kind is a label.
type Throttles struct {
	count *prometheus.CounterVec
	time  *prometheus.CounterVec
}

// NewThrottles returns the throttle counters.
func NewThrottles() *Throttles {
	l := []string{"quota"}
	return &Throttles{
		count: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strom_quota_throttles_total",
			Help: "Responses that carried a client-quota throttle time."}, l),
		time: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "strom_quota_throttle_seconds_total",
			Help: "Time clients were throttled (connection muted) by client quotas."}, l),
	}
}

// Observe records one throttle of d under the quota kind (its name).
func (t *Throttles) Observe(kind string, d time.Duration) {
	t.count.WithLabelValues(kind).Inc()
	t.time.WithLabelValues(kind).Add(d.Seconds())
}

// Collectors are the counters to register.
func (t *Throttles) Collectors() []prometheus.Collector {
	return []prometheus.Collector{t.count, t.time}
}
