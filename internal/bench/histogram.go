package bench

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// Bucket layout: values below 2^subBits are counted exactly; above, every
// power-of-two range [2^k, 2^(k+1)) is split into 2^subBits linear
// sub-buckets, so a bucket's width is at most 1/2^subBits of its lower bound.
// With subBits = 7 that is ≤ 0.79 % relative error over the whole int64 range
// in 7,296 buckets (58 KiB), HdrHistogram's "2 significant digits" class.
const (
	subBits    = 7
	subCount   = 1 << subBits
	numBuckets = (63-subBits)*subCount + subCount // index of MaxInt64 is numBuckets-1
)

// bucketIndex maps a non-negative value to its bucket.
func bucketIndex(v int64) int {
	if v < 2*subCount {
		return int(v)
	}
	// v>>shift keeps the top subBits+1 bits, in [subCount, 2*subCount).
	shift := bits.Len64(uint64(v)) - subBits - 1
	return shift*subCount + int(v>>shift)
}

// bucketHighest is the largest value that maps to bucket i.
func bucketHighest(i int) int64 {
	if i < 2*subCount {
		return int64(i)
	}
	shift := i/subCount - 1
	m := uint64(i%subCount + subCount)
	hi := (m+1)<<shift - 1
	if hi > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(hi)
}

// Histogram records durations (as nanoseconds) into log-spaced buckets.
//
// Concurrency: Record may be called from any number of goroutines without
// locking; Snapshot may run concurrently with Record and then sees some
// prefix of the concurrent recordings. The zero value is ready to use.
type Histogram struct {
	counts [numBuckets]atomic.Uint64
	total  atomic.Int64
	sum    atomic.Int64
	min    atomic.Int64 // stored as value+1 so that the zero value means "none"
	max    atomic.Int64
}

// Record adds one observation. Negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	v := max(int64(d), 0)
	h.counts[bucketIndex(v)].Add(1)
	h.sum.Add(v)
	for cur := h.max.Load(); v > cur && !h.max.CompareAndSwap(cur, v); cur = h.max.Load() {
	}
	for cur := h.min.Load(); (cur == 0 || v+1 < cur) && !h.min.CompareAndSwap(cur, v+1); cur = h.min.Load() {
	}
	// total is bumped last so a concurrent Snapshot never reports more
	// observations than it has bucket counts for.
	h.total.Add(1)
}

// Count is the number of observations recorded so far.
func (h *Histogram) Count() int64 { return h.total.Load() }

// Snapshot copies the histogram into an immutable Snapshot.
func (h *Histogram) Snapshot() *Snapshot {
	s := &Snapshot{sum: h.sum.Load(), max: h.max.Load(), min: max(h.min.Load()-1, 0)}
	for i := range h.counts {
		c := h.counts[i].Load()
		s.counts[i] = c
		s.total += c
	}
	return s
}

// Snapshot is a point-in-time copy of a Histogram. It is not safe for
// concurrent mutation (Merge) but may be read from many goroutines.
type Snapshot struct {
	counts [numBuckets]uint64
	total  uint64
	sum    int64
	min    int64
	max    int64
}

// Count is the number of observations.
func (s *Snapshot) Count() int64 { return int64(s.total) }

// Min is the smallest observation, exact; 0 when empty.
func (s *Snapshot) Min() time.Duration { return time.Duration(s.min) }

// Max is the largest observation, exact; 0 when empty.
func (s *Snapshot) Max() time.Duration { return time.Duration(s.max) }

// Mean is the exact arithmetic mean; 0 when empty.
func (s *Snapshot) Mean() time.Duration {
	if s.total == 0 {
		return 0
	}
	return time.Duration(s.sum / int64(s.total))
}

// Quantile returns the value at quantile q in [0, 1]: the highest value
// equivalent (same bucket) to the observation of rank ceil(q·count), capped at
// the exact maximum, as HdrHistogram's ValueAtQuantile does. It returns 0 for
// an empty snapshot.
func (s *Snapshot) Quantile(q float64) time.Duration {
	if s.total == 0 {
		return 0
	}
	q = min(max(q, 0), 1)
	rank := max(uint64(math.Ceil(q*float64(s.total))), 1)
	var seen uint64
	for i, c := range s.counts {
		seen += c
		if seen >= rank {
			return time.Duration(min(bucketHighest(i), s.max))
		}
	}
	return time.Duration(s.max)
}

// Merge adds o's observations into s.
func (s *Snapshot) Merge(o *Snapshot) {
	if o.total == 0 {
		return
	}
	for i, c := range o.counts {
		s.counts[i] += c
	}
	if s.total == 0 || o.min < s.min {
		s.min = o.min
	}
	s.max = max(s.max, o.max)
	s.total += o.total
	s.sum += o.sum
}
