package replica

import (
	"math"
	"testing"
	"time"
)

// TestRateWindows follows Kafka's SimpleRate over a SampledStat by hand:
// one window at least, then the time since the oldest sample started;
// samples rotate every window and go once nothing was recorded in them
// for samples*window.
func TestRateWindows(t *testing.T) {
	clock := newClock()
	q := NewQuota(math.MaxInt64, 3, time.Second, clock.Now)
	steps := []struct {
		advance time.Duration
		record  int64
		want    float64
	}{
		{0, 1000, 1000},                      // first bytes: over one window, not over 0 ms
		{500 * time.Millisecond, 0, 1000},    // still within the first window
		{1500 * time.Millisecond, 0, 500},    // 1000 bytes over 2 s
		{0, 1000, 1000},                      // a second sample: 2000 over 2 s
		{time.Second, 1000, 2000},            // a third; the first, idle for 3 windows, is obsolete: 2000 over 1 s
		{time.Second, 1000, 1500},            // a fourth (samples+1 are kept): 3000 over 2 s
		{time.Second, 1000, 1500},            // the first is recycled; the second is obsolete: 3000 over 2 s
		{3 * time.Second, 0, 0},              // all obsolete
		{10 * time.Second, 4000, 4000},       // a burst after a quiet period counts over one window
		{250 * time.Millisecond, 1000, 5000}, // same sample
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		if s.record > 0 {
			q.Record(s.record)
		}
		if got := q.Rate(); got != s.want {
			t.Fatalf("step %d: rate %.1f, want %.1f", i, got, s.want)
		}
	}
}

// TestRateSteady: a steady flow measures as its own rate once the
// samples are full.
func TestRateSteady(t *testing.T) {
	clock := newClock()
	q := NewQuota(math.MaxInt64, 11, time.Second, clock.Now)
	for range 300 { // 30 s of 100 bytes every 100 ms: 1000 bytes/s
		q.Record(100)
		clock.Advance(100 * time.Millisecond)
	}
	if got := q.Rate(); got < 950 || got > 1050 {
		t.Fatalf("steady 1000 B/s measured as %.1f", got)
	}
}

// TestQuotaExceeded: a rate equal to the bound is acceptable, above it
// is not; time brings it back under; an unthrottled quota is never
// exceeded; a new bound applies to the samples already recorded.
func TestQuotaExceeded(t *testing.T) {
	clock := newClock()
	q := NewQuota(1000, 11, time.Second, clock.Now)
	if q.Exceeded() {
		t.Fatal("exceeded with nothing recorded")
	}
	q.Record(1000)
	if q.Exceeded() {
		t.Fatal("exceeded at exactly the bound")
	}
	q.Record(1)
	if !q.Exceeded() {
		t.Fatal("not exceeded above the bound")
	}
	clock.Advance(1100 * time.Millisecond) // 1001 bytes over 1.1 s
	if q.Exceeded() {
		t.Fatalf("still exceeded at %.1f B/s", q.Rate())
	}
	q.Record(5000)
	if !q.Exceeded() {
		t.Fatal("not exceeded after a burst")
	}
	q.SetBound(math.MaxInt64)
	if q.Exceeded() || q.Bound() != math.MaxInt64 {
		t.Fatal("an unthrottled quota is exceeded")
	}
	q.SetBound(10_000)
	if q.Exceeded() {
		t.Fatalf("exceeded at %.1f B/s under a 10000 B/s bound", q.Rate())
	}
	q.SetBound(100)
	if !q.Exceeded() {
		t.Fatal("a lower bound does not apply to the recorded samples")
	}
}
