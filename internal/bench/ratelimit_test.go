package bench

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeClock is a manual clock whose sleeps advance nothing: they are only
// recorded, so tests check the schedule without depending on timing.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	return ctx.Err()
}

func newFakeLimiter(t *testing.T, perSecond float64) (*Limiter, *fakeClock) {
	t.Helper()
	clk := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	l := newLimiter(perSecond, clk.Now, clk.Sleep)
	if l == nil {
		t.Fatalf("newLimiter(%v) = nil", perSecond)
	}
	return l, clk
}

func waitN(t *testing.T, l *Limiter, n int) {
	t.Helper()
	for i := range n {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatalf("Wait #%d: %v", i, err)
		}
	}
}

func TestLimiterSchedule(t *testing.T) {
	for _, tc := range []struct {
		name     string
		rate     float64
		interval time.Duration
	}{
		{"1k per second", 1000, time.Millisecond},
		{"fractional", 4, 250 * time.Millisecond},
		{"1M per second", 1e6, time.Microsecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, clk := newFakeLimiter(t, tc.rate)
			waitN(t, l, 5)
			// Event 0 is due at once; event i sleeps i intervals since
			// the fake clock stands still.
			want := []time.Duration{tc.interval, 2 * tc.interval, 3 * tc.interval, 4 * tc.interval}
			if !slices.Equal(clk.sleeps, want) {
				t.Fatalf("sleeps = %v, want %v", clk.sleeps, want)
			}
			if got := l.Due(10).Sub(l.Due(0)); got != 10*tc.interval {
				t.Fatalf("Due(10) − Due(0) = %v, want %v", got, 10*tc.interval)
			}
		})
	}
}

func TestLimiterCatchesUpAfterStall(t *testing.T) {
	l, clk := newFakeLimiter(t, 100) // one per 10ms
	clk.Advance(95 * time.Millisecond)
	waitN(t, l, 10) // events 0..9 were all due by 90ms: no sleep
	if len(clk.sleeps) != 0 {
		t.Fatalf("late events slept: %v", clk.sleeps)
	}
	waitN(t, l, 2) // event 10 due at 100ms, event 11 at 110ms
	if want := []time.Duration{5 * time.Millisecond, 15 * time.Millisecond}; !slices.Equal(clk.sleeps, want) {
		t.Fatalf("sleeps = %v, want %v", clk.sleeps, want)
	}
}

func TestLimiterEndAfter(t *testing.T) {
	l, clk := newFakeLimiter(t, 1000)
	l.EndAfter(10 * time.Millisecond)
	waitN(t, l, 10) // slots 0..9, due before 10ms
	if err := l.Wait(context.Background()); !errors.Is(err, ErrScheduleEnd) {
		t.Fatalf("slot 10, due at the end, Wait = %v, want ErrScheduleEnd", err)
	}
	if len(clk.sleeps) != 9 {
		t.Fatalf("%d sleeps, want 9 (none for the refused slot)", len(clk.sleeps))
	}
}

func TestLimiterSharedAcrossGoroutines(t *testing.T) {
	const goroutines, each = 8, 50
	l, clk := newFakeLimiter(t, 1000)
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range each {
				_ = l.Wait(context.Background())
			}
		})
	}
	wg.Wait()
	// Every slot is handed out exactly once, whoever takes it.
	got := slices.Clone(clk.sleeps)
	slices.Sort(got)
	for i, d := range got {
		if want := time.Duration(i+1) * time.Millisecond; d != want {
			t.Fatalf("sorted sleep %d = %v, want %v", i, d, want)
		}
	}
	if len(got) != goroutines*each-1 {
		t.Fatalf("%d sleeps, want %d", len(got), goroutines*each-1)
	}
}

func TestLimiterUnlimitedAndCancel(t *testing.T) {
	for _, rate := range []float64{0, -1} {
		if l := NewLimiter(rate); l != nil {
			t.Fatalf("NewLimiter(%v) = %+v, want nil (unlimited)", rate, l)
		}
	}
	var unlimited *Limiter
	if err := unlimited.Wait(context.Background()); err != nil {
		t.Fatalf("nil limiter Wait: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := unlimited.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("nil limiter Wait on canceled ctx = %v, want Canceled", err)
	}
	// A real limiter whose next slot is an hour away returns at once on a
	// canceled context instead of sleeping.
	l := NewLimiter(1.0 / 3600)
	_ = l.Wait(context.Background()) // slot 0, due now
	if err := l.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait on canceled ctx = %v, want Canceled", err)
	}
}
