package replica

import (
	"math"
	"sync"
	"time"
)

// Quota is one direction of this broker's replication quota (KIP-73,
// Kafka's ReplicationQuotaManager): a bound in bytes per second and the
// rate of the throttled traffic measured so far. Record counts bytes
// whatever the bound says; Exceeded tells whether more may go now. Safe
// for concurrent use.
type Quota struct {
	now func() time.Time

	mu    sync.Mutex
	bound int64 // bytes/s; math.MaxInt64 means unthrottled
	rate  rate
}

// NewQuota returns a quota of bound bytes/s measured over samples windows
// of window each (replication.quota.window.num and
// replication.quota.window.size.seconds).
func NewQuota(bound int64, samples int, window time.Duration, now func() time.Time) *Quota {
	return &Quota{now: now, bound: bound, rate: newRate(samples, window.Milliseconds())}
}

// SetBound changes the bound; the samples recorded so far are kept, as
// Kafka keeps the sensor and swaps its metric config.
func (q *Quota) SetBound(bound int64) {
	q.mu.Lock()
	q.bound = bound
	q.mu.Unlock()
}

// Bound is the current bound in bytes/s.
func (q *Quota) Bound() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.bound
}

// Exceeded reports whether the measured rate is above the bound (Kafka's
// isQuotaExceeded: a rate equal to the bound is still acceptable).
func (q *Quota) Exceeded() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.bound == math.MaxInt64 {
		return false // unthrottled: no rate can exceed it
	}
	return q.rate.measure(q.now().UnixMilli()) > float64(q.bound)
}

// Record counts n bytes of throttled traffic.
func (q *Quota) Record(n int64) {
	q.mu.Lock()
	q.rate.record(float64(n), q.now().UnixMilli())
	q.mu.Unlock()
}

// Rate is the measured rate in bytes/s.
func (q *Quota) Rate() float64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.rate.measure(q.now().UnixMilli())
}

// rate is Kafka's SimpleRate over a SampledStat of sums: values are added
// to the current sample until it is windowMs old, then the next sample
// (the oldest, recycled) takes over. The rate is the sum of the samples
// over the time since the oldest one started, but never over less than
// one window, so the first bytes after a quiet period do not look like an
// infinite rate. Samples with no event in the last samples*windowMs are
// obsolete and reset. Not safe for concurrent use.
type rate struct {
	samples  int   // replication.quota.window.num
	windowMs int64 // replication.quota.window.size.seconds, in ms
	buf      []sample
	current  int
}

type sample struct {
	value       float64
	startMs     int64
	lastEventMs int64
}

func newRate(samples int, windowMs int64) rate {
	return rate{samples: max(samples, 1), windowMs: max(windowMs, 1)}
}

func (s *sample) reset(nowMs int64) { *s = sample{startMs: nowMs, lastEventMs: nowMs} }

// cur returns the current sample, creating the first one.
func (r *rate) cur(nowMs int64) *sample {
	if len(r.buf) == 0 {
		r.buf = append(r.buf, sample{startMs: nowMs, lastEventMs: nowMs})
	}
	return &r.buf[r.current]
}

func (r *rate) record(v float64, nowMs int64) {
	s := r.cur(nowMs)
	if nowMs-s.startMs >= r.windowMs {
		// Keep one sample beyond the configured number, as Kafka does, so
		// a full set of windows survives while the newest one fills.
		r.current = (r.current + 1) % (r.samples + 1)
		if r.current >= len(r.buf) {
			r.buf = append(r.buf, sample{})
		}
		s = &r.buf[r.current]
		s.reset(nowMs)
	}
	s.value += v
	s.lastEventMs = nowMs
}

// measure is the rate per second at nowMs.
func (r *rate) measure(nowMs int64) float64 {
	r.purge(nowMs)
	oldest := r.cur(nowMs).startMs
	var total float64
	for i := range r.buf {
		total += r.buf[i].value
		oldest = min(oldest, r.buf[i].startMs)
	}
	elapsed := max(nowMs-oldest, r.windowMs)
	return total * 1000 / float64(elapsed)
}

// purge resets samples that saw no event within the monitored span.
func (r *rate) purge(nowMs int64) {
	expire := int64(r.samples) * r.windowMs
	for i := range r.buf {
		if nowMs-r.buf[i].lastEventMs >= expire {
			r.buf[i].reset(nowMs)
		}
	}
}
