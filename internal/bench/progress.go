package bench

import (
	"fmt"
	"io"
	"time"
)

// Progress configures the live progress lines a run writes while it goes.
type Progress struct {
	// W receives one line per Interval; nil disables progress.
	W io.Writer
	// Interval between lines; ≤ 0 disables progress.
	Interval time.Duration
}

// start launches the reporter goroutine; the returned function stops it and
// waits until it has exited, so no line is written after it returns.
// The rate shown is over the last interval; the latency quantile is over
// the whole run so far.
func (p Progress) start(label string, c *counters, h *Histogram) (stop func()) {
	if p.W == nil || p.Interval <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(p.Interval)
		defer t.Stop()
		begin := time.Now()
		last, lastRecs, lastBytes := begin, int64(0), int64(0)
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				recs, bytes := c.records.Load(), c.bytes.Load()
				secs := now.Sub(last).Seconds()
				line := fmt.Sprintf("%7.1fs %-8s %12s records %10s rec/s %8.1f MB/s",
					now.Sub(begin).Seconds(), label, FormatCount(recs),
					FormatCount(int64(float64(recs-lastRecs)/secs)),
					float64(bytes-lastBytes)/secs/1e6)
				if h != nil && h.Count() > 0 {
					line += fmt.Sprintf("  p99 %s", FormatDuration(h.Snapshot().Quantile(0.99)))
				}
				if n := c.errors.Load(); n > 0 {
					line += fmt.Sprintf("  errors %d", n)
				}
				fmt.Fprintln(p.W, line)
				last, lastRecs, lastBytes = now, recs, bytes
			}
		}
	}()
	return func() {
		close(done)
		<-exited
	}
}

// FormatDuration prints d with three significant digits in the unit that
// suits it (µs below 1 ms, ms below 1 s, s above): "95.3µs", "3.21ms".
func FormatDuration(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%dns", d.Nanoseconds())
	case d < time.Millisecond:
		return sig3(float64(d)/1e3) + "µs"
	case d < time.Second:
		return sig3(float64(d)/1e6) + "ms"
	default:
		return sig3(d.Seconds()) + "s"
	}
}

// sig3 formats x ≥ 1 with three significant digits and no exponent.
func sig3(x float64) string {
	switch {
	case x < 10:
		return fmt.Sprintf("%.2f", x)
	case x < 100:
		return fmt.Sprintf("%.1f", x)
	default:
		return fmt.Sprintf("%.0f", x)
	}
}

// FormatCount renders n with thousands separators: "1,234,567".
func FormatCount(n int64) string {
	s := fmt.Sprint(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
