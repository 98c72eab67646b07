package bench

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// maxRelErr is the promised bound on (reported − true) / true.
const maxRelErr = 1.0 / subCount

func TestBucketBounds(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    int64
		idx  int // -1: only check bounds
	}{
		{"zero", 0, 0},
		{"exact below 2^8", 255, 255},
		{"first shifted bucket", 256, 256},
		{"top of first shifted bucket", 257, 256},
		{"next bucket", 258, 257},
		{"power of two", 1 << 20, -1},
		{"one below power of two", 1<<20 - 1, -1},
		{"a second", int64(time.Second), -1},
		{"max int64", math.MaxInt64, numBuckets - 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i := bucketIndex(tc.v)
			if tc.idx >= 0 && i != tc.idx {
				t.Fatalf("bucketIndex(%d) = %d, want %d", tc.v, i, tc.idx)
			}
			if i < 0 || i >= numBuckets {
				t.Fatalf("bucketIndex(%d) = %d out of [0, %d)", tc.v, i, numBuckets)
			}
			hi := bucketHighest(i)
			if hi < tc.v {
				t.Fatalf("bucketHighest(%d) = %d < value %d", i, hi, tc.v)
			}
			if tc.v > 0 && float64(hi-tc.v)/float64(tc.v) > maxRelErr {
				t.Fatalf("value %d reported as %d: relative error above %v", tc.v, hi, maxRelErr)
			}
			if i > 0 && bucketHighest(i-1) >= tc.v {
				t.Fatalf("value %d also fits bucket %d (highest %d)", tc.v, i-1, bucketHighest(i-1))
			}
		})
	}
}

func TestBucketsContiguous(t *testing.T) {
	// Each bucket starts right after the previous one ends.
	for i := 1; i < numBuckets; i++ {
		lo := bucketHighest(i-1) + 1
		if got := bucketIndex(lo); got != i {
			t.Fatalf("bucketIndex(%d) = %d, want %d", lo, got, i)
		}
	}
}

func TestQuantileExactForSmallValues(t *testing.T) {
	var h Histogram
	for v := 100; v >= 1; v-- { // order must not matter
		h.Record(time.Duration(v))
	}
	s := h.Snapshot()
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{
		{0, 1}, {0.01, 1}, {0.5, 50}, {0.95, 95}, {0.99, 99}, {0.999, 100}, {1, 100},
		{-1, 1}, {2, 100}, // clamped
	} {
		if got := s.Quantile(tc.q); got != tc.want {
			t.Errorf("Quantile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if s.Count() != 100 || s.Min() != 1 || s.Max() != 100 || s.Mean() != 50 {
		t.Errorf("count/min/max/mean = %d/%v/%v/%v, want 100/1ns/100ns/50ns", s.Count(), s.Min(), s.Max(), s.Mean())
	}
}

func TestQuantileWithinErrorBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h Histogram
	vals := make([]int64, 20000)
	for i := range vals {
		// Log-uniform from 1µs to ~1s: the spread latencies have.
		vals[i] = int64(math.Exp(rng.Float64()*math.Log(1e6)) * 1e3)
		h.Record(time.Duration(vals[i]))
	}
	slices.Sort(vals)
	s := h.Snapshot()
	for _, q := range []float64{0.5, 0.9, 0.95, 0.99, 0.999, 1} {
		exact := vals[int(math.Ceil(q*float64(len(vals))))-1]
		got := int64(s.Quantile(q))
		if got < exact || float64(got-exact)/float64(exact) > maxRelErr {
			t.Errorf("Quantile(%v) = %d, exact %d: outside [exact, exact·(1+%.4f)]", q, got, exact, maxRelErr)
		}
	}
	if s.Max() != time.Duration(vals[len(vals)-1]) || s.Min() != time.Duration(vals[0]) {
		t.Errorf("min/max = %v/%v, want exact %v/%v", s.Min(), s.Max(), vals[0], vals[len(vals)-1])
	}
}

func TestEmptyAndNegative(t *testing.T) {
	var h Histogram
	s := h.Snapshot()
	if s.Count() != 0 || s.Quantile(0.99) != 0 || s.Mean() != 0 || s.Max() != 0 || s.Min() != 0 {
		t.Fatalf("empty snapshot not all zero: %+v", Summarize(s))
	}
	if Summarize(s) != nil {
		t.Fatal("Summarize(empty) should be nil")
	}
	h.Record(-5 * time.Second)
	if s := h.Snapshot(); s.Count() != 1 || s.Max() != 0 || s.Quantile(1) != 0 {
		t.Fatalf("negative value not clamped to 0: count %d max %v", s.Count(), s.Max())
	}
}

func TestMergeEqualsRecordingAll(t *testing.T) {
	var a, b, all Histogram
	for i := range 5000 {
		d := time.Duration(i*i + 7)
		all.Record(d)
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	m := a.Snapshot()
	m.Merge(b.Snapshot())
	m.Merge(new(Histogram).Snapshot()) // merging empty is a no-op
	want := all.Snapshot()
	if *m != *want {
		t.Fatalf("merged %+v != recorded together %+v", Summarize(m), Summarize(want))
	}
}

func TestConcurrentRecord(t *testing.T) {
	const goroutines, each = 8, 5000
	var h Histogram
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				h.Record(time.Duration(g*each + i + 1))
			}
		})
	}
	// Snapshots taken while recording must stay self-consistent.
	for range 10 {
		if s := h.Snapshot(); s.Count() > goroutines*each {
			t.Fatalf("snapshot count %d above total", s.Count())
		}
	}
	wg.Wait()
	s := h.Snapshot()
	if s.Count() != goroutines*each || h.Count() != goroutines*each {
		t.Fatalf("count %d (live %d), want %d", s.Count(), h.Count(), goroutines*each)
	}
	if s.Min() != 1 || s.Max() != goroutines*each {
		t.Fatalf("min/max %v/%v, want 1ns/%dns", s.Min(), s.Max(), goroutines*each)
	}
}
