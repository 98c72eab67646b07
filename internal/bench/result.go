package bench

import (
	"sync"
	"sync/atomic"
	"time"
)

// Result is the outcome of one run. Its JSON form is what
// `strom bench … --format json` prints, so field names are a stable
// interface for scripts: add fields, do not rename them.
type Result struct {
	Mode  string `json:"mode"` // "produce", "consume" or "e2e"
	Topic string `json:"topic"`

	// Records and Bytes count records acknowledged (produce) or received
	// (consume, e2e); Bytes is key + value bytes.
	Records int64 `json:"records"`
	Bytes   int64 `json:"bytes"`
	// Produced counts records acknowledged to the producer of an e2e run;
	// Produced − Records were not seen by a consumer in time.
	Produced int64 `json:"produced,omitempty"`
	// Errors counts records whose produce failed; FirstError describes one.
	Errors     int64  `json:"errors"`
	FirstError string `json:"first_error,omitempty"`
	// Interrupted is set when the run was cut short by its context (Ctrl-C).
	Interrupted bool `json:"interrupted,omitempty"`

	ElapsedSeconds float64 `json:"elapsed_s"`
	// TargetRate is the records/s asked for (throttled produce, e2e).
	TargetRate    float64 `json:"target_rate,omitempty"`
	RecordsPerSec float64 `json:"records_per_sec"`
	MBPerSec      float64 `json:"mb_per_sec"`  // 10^6 bytes per second
	MiBPerSec     float64 `json:"mib_per_sec"` // 2^20 bytes per second

	// Latency is the produce latency (send → ack), absent for consume.
	Latency *LatencySummary `json:"latency,omitempty"`
	// EndToEnd is the produce → consume latency of an e2e run.
	EndToEnd *LatencySummary `json:"e2e_latency,omitempty"`

	// Config echoes the run's configuration (a *ProduceConfig, …).
	Config any `json:"config"`
}

// LatencySummary is a digest of a Snapshot in microseconds.
type LatencySummary struct {
	Count  int64   `json:"count"`
	MinUs  float64 `json:"min_us"`
	MeanUs float64 `json:"mean_us"`
	P50Us  float64 `json:"p50_us"`
	P95Us  float64 `json:"p95_us"`
	P99Us  float64 `json:"p99_us"`
	P999Us float64 `json:"p999_us"`
	MaxUs  float64 `json:"max_us"`
}

// Summarize digests s; it returns nil for an empty snapshot so that JSON
// omits latencies that were never measured.
func Summarize(s *Snapshot) *LatencySummary {
	if s == nil || s.Count() == 0 {
		return nil
	}
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
	return &LatencySummary{
		Count:  s.Count(),
		MinUs:  us(s.Min()),
		MeanUs: us(s.Mean()),
		P50Us:  us(s.Quantile(0.50)),
		P95Us:  us(s.Quantile(0.95)),
		P99Us:  us(s.Quantile(0.99)),
		P999Us: us(s.Quantile(0.999)),
		MaxUs:  us(s.Max()),
	}
}

// counters are the live totals of a run, read by the progress reporter while
// workers update them. Safe for concurrent use.
type counters struct {
	records atomic.Int64
	bytes   atomic.Int64
	errors  atomic.Int64

	errOnce  sync.Once
	firstErr atomic.Value // error
}

func (c *counters) add(records, bytes int64) {
	c.records.Add(records)
	c.bytes.Add(bytes)
}

func (c *counters) fail(err error) {
	c.errors.Add(1)
	c.errOnce.Do(func() { c.firstErr.Store(err) })
}

// fill sets the counting and rate fields of r from c over elapsed.
func (c *counters) fill(r *Result, elapsed time.Duration) {
	r.Records = c.records.Load()
	r.Bytes = c.bytes.Load()
	r.Errors = c.errors.Load()
	if err, ok := c.firstErr.Load().(error); ok {
		r.FirstError = err.Error()
	}
	r.ElapsedSeconds = elapsed.Seconds()
	if secs := elapsed.Seconds(); secs > 0 {
		r.RecordsPerSec = float64(r.Records) / secs
		r.MBPerSec = float64(r.Bytes) / secs / 1e6
		r.MiBPerSec = float64(r.Bytes) / secs / (1 << 20)
	}
}
