package quota

import (
	"testing"
	"time"

	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/testutil"
)

func slowQuota(key string, v float64) Quotas {
	return Quotas{{ClientID: metadata.Named("slow")}: {key: v}}
}

// TestRateThrottleMaths checks Kafka's formulas with a fake clock: the
// rate divides by at least n-1 windows, the throttle is
// (rate-bound)/bound × span, and samples age out after n windows.
func TestRateThrottleMaths(t *testing.T) {
	clock := testutil.NewClock()
	m := NewManager(Config{Samples: 11, Window: time.Second, Now: clock.Now})
	q := slowQuota("producer_byte_rate", 100)
	rec := func(v float64) time.Duration { return m.Record(q, Produce, "ANONYMOUS", "slow", v) }

	// 500 B over the padded 10 s span: 50 B/s, within 100.
	if d := rec(500); d != 0 {
		t.Fatalf("within quota: throttled %v", d)
	}
	// 1500 B over 10.5 s (0.5 s elapsed + 10 padding windows): 142.86 B/s,
	// throttle (142.86-100)/100 × 10.5 s = 4.5 s.
	clock.Advance(500 * time.Millisecond)
	if d := rec(1000); d != 4500*time.Millisecond {
		t.Fatalf("over quota: throttled %v, want 4.5s", d)
	}
	// Another client id is not under the quota at all.
	if d := m.Record(q, Produce, "ANONYMOUS", "fast", 1e9); d != 0 {
		t.Fatalf("unquota'd client throttled %v", d)
	}
	// 11 windows later the burst has aged out: a small write is free.
	clock.Advance(10500 * time.Millisecond)
	if d := rec(100); d != 0 {
		t.Fatalf("after the window: throttled %v", d)
	}
	// Two windows with a 2-sample config: 300 B in the first second, then
	// 300 more a second later: 600 B / 1 s span = 600 B/s → 5 s.
	m2 := NewManager(Config{Samples: 2, Window: time.Second, Now: clock.Now})
	if d := m2.Record(q, Produce, "u", "slow", 300); d != 2*time.Second {
		t.Fatalf("2 samples, first burst: throttled %v, want 2s", d)
	}
	clock.Advance(time.Second)
	if d := m2.Record(q, Produce, "u", "slow", 300); d != 5*time.Second {
		t.Fatalf("2 samples, second window: throttled %v, want 5s", d)
	}
}

// TestRequestThrottleCapped: a request-time throttle is at most one window.
func TestRequestThrottleCapped(t *testing.T) {
	clock := testutil.NewClock()
	var throttled []time.Duration
	m := NewManager(Config{Samples: 11, Window: time.Second, Now: clock.Now,
		OnThrottle: func(k Kind, d time.Duration) {
			if k == Request {
				throttled = append(throttled, d)
			}
		}})
	q := slowQuota("request_percentage", 10)
	// 5 s of handling in one go is 50% over the 10 s span: far over 10%.
	if d := m.Record(q, Request, "u", "slow", 500); d != time.Second {
		t.Fatalf("request throttle %v, want the 1s cap", d)
	}
	if len(throttled) != 1 || throttled[0] != time.Second {
		t.Fatalf("OnThrottle saw %v", throttled)
	}
}

func TestMaxFetchBytes(t *testing.T) {
	m := NewManager(Config{Samples: 11, Window: 2 * time.Second})
	n, ok := m.MaxFetchBytes(slowQuota("consumer_byte_rate", 1000), "u", "slow")
	if !ok || n != 1000*10*2 {
		t.Fatalf("MaxFetchBytes = %d %v, want 20000", n, ok)
	}
	if _, ok := m.MaxFetchBytes(slowQuota("producer_byte_rate", 1000), "u", "slow"); ok {
		t.Fatal("a produce quota capped fetches")
	}
}

// TestSweep: rates idle for the whole span are dropped.
func TestSweep(t *testing.T) {
	clock := testutil.NewClock()
	m := NewManager(Config{Samples: 2, Window: time.Second, Now: clock.Now})
	q := Quotas{{ClientID: metadata.DefaultName()}: {"producer_byte_rate": 100}}
	m.Record(q, Produce, "u", "a", 1)
	clock.Advance(3 * time.Second)
	m.Record(q, Produce, "u", "b", 1)
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.rates) != 1 {
		t.Fatalf("%d rates after the sweep, want 1", len(m.rates))
	}
}
