package bench

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// ErrScheduleEnd is returned by Wait for slots due at or after the end set
// by EndAfter.
var ErrScheduleEnd = errors.New("rate limiter: schedule ended")

// Limiter paces events to a fixed rate shared by any number of goroutines.
//
// Event i (counted from 0 across all callers, in the order Wait is called) is
// due at start + i/rate. A caller that is early sleeps until its due time; a
// caller that is late does not sleep at all, so after a stall the backlog is
// sent at full speed and the average rate over the run holds. That is the
// schedule of OpenMessaging Benchmark's UniformRateLimiter and, in spirit,
// of kafka-producer-perf-test's ThroughputThrottler.
//
// Concurrency: Wait is safe for concurrent use. A nil *Limiter never waits,
// which is how an unthrottled run (rate ≤ 0) is expressed.
type Limiter struct {
	interval float64 // nanoseconds between consecutive events
	start    time.Time
	end      time.Time // zero: no end
	next     atomic.Int64

	now   func() time.Time
	sleep func(context.Context, time.Duration) error
}

// NewLimiter returns a limiter for perSecond events per second whose schedule
// starts now, or nil (unlimited) when perSecond ≤ 0.
func NewLimiter(perSecond float64) *Limiter {
	return newLimiter(perSecond, time.Now, sleepCtx)
}

func newLimiter(perSecond float64, now func() time.Time, sleep func(context.Context, time.Duration) error) *Limiter {
	if perSecond <= 0 {
		return nil
	}
	return &Limiter{
		interval: float64(time.Second) / perSecond,
		start:    now(),
		now:      now,
		sleep:    sleep,
	}
}

// EndAfter ends the schedule d after its start: a run of d at rate r then
// sends exactly d·r events (slots 0 … d·r−1), with no fencepost extra. It
// must be called before the first Wait. A nil limiter ignores it.
func (l *Limiter) EndAfter(d time.Duration) {
	if l != nil && d > 0 {
		l.end = l.start.Add(d)
	}
}

// Wait claims the next event slot and blocks until it is due. It returns
// ctx.Err() if ctx ends first (or had already ended), and ErrScheduleEnd
// without waiting if the slot falls at or after the end set by EndAfter.
func (l *Limiter) Wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	due := l.Due(l.next.Add(1) - 1)
	if !l.end.IsZero() && !due.Before(l.end) {
		return ErrScheduleEnd
	}
	if d := due.Sub(l.now()); d > 0 {
		return l.sleep(ctx, d)
	}
	return ctx.Err()
}

// Due is the time at which event i is scheduled.
func (l *Limiter) Due(i int64) time.Time {
	return l.start.Add(time.Duration(float64(i) * l.interval))
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
