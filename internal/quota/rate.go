package quota

import (
	"math"
	"time"
)

// rate is a value per second measured over up to n samples (windows) of
// length w, as Kafka's Rate over a SampledStat: a sample starts when the
// first value after the previous sample's end arrives, samples older than
// n windows count no more, and the rate divides by the time since the
// oldest sample's start, but never by less than n-1 whole windows (so one
// burst on an idle client is spread over the full window).
//
// Not safe for concurrent use.
type rate struct {
	samples []sample
	cur     int
}

type sample struct {
	start time.Time
	value float64
}

// window is a rate's sampling: n samples of length size.
type window struct {
	n    int
	size time.Duration
}

// record adds v at now.
func (r *rate) record(w window, now time.Time, v float64) {
	if len(r.samples) == 0 {
		r.samples = append(r.samples, sample{start: now})
		r.cur = 0
	} else if now.Sub(r.samples[r.cur].start) >= w.size {
		r.cur = (r.cur + 1) % w.n
		if r.cur >= len(r.samples) {
			r.samples = append(r.samples, sample{start: now})
		} else {
			r.samples[r.cur] = sample{start: now}
		}
	}
	r.samples[r.cur].value += v
}

// purge resets the samples that have aged out of the window.
func (r *rate) purge(w window, now time.Time) {
	expire := time.Duration(w.n) * w.size
	for i := range r.samples {
		if now.Sub(r.samples[i].start) >= expire {
			r.samples[i] = sample{start: now}
		}
	}
}

// span is the time the rate divides by at now (Kafka's Rate.windowSize).
func (r *rate) span(w window, now time.Time) time.Duration {
	r.purge(w, now)
	oldest := now
	for _, s := range r.samples {
		if s.start.Before(oldest) {
			oldest = s.start
		}
	}
	elapsed := now.Sub(oldest)
	if full := int(elapsed / w.size); full < w.n-1 {
		elapsed += time.Duration(w.n-1-full) * w.size
	}
	return elapsed
}

// measure is the rate per second at now.
func (r *rate) measure(w window, now time.Time) float64 {
	span := r.span(w, now)
	total := 0.0
	for _, s := range r.samples {
		total += s.value
	}
	if span <= 0 {
		return 0
	}
	return total / span.Seconds()
}

// throttle is how long the client must wait for the rate to fall back to
// bound (Kafka's QuotaUtils.throttleTime): the excess over the bound, as a
// fraction of the bound, times the current span. Zero when within bound.
func (r *rate) throttle(w window, now time.Time, bound float64) time.Duration {
	v := r.measure(w, now)
	if v <= bound || bound <= 0 {
		return 0
	}
	ms := (v - bound) / bound * float64(r.span(w, now).Milliseconds())
	return time.Duration(math.Round(ms)) * time.Millisecond
}
