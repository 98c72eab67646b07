package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	engine "github.com/strom-project/strom/internal/bench"
)

// report writes res to stdout in c's format, then turns what went wrong in
// the run (failed or lost records) into the command's error, so scripts can
// rely on the exit status as well as on the JSON.
func report(cmd *cobra.Command, c *common, res *engine.Result) error {
	w := cmd.OutOrStdout()
	var err error
	if c.format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		err = enc.Encode(res)
	} else {
		err = writeText(w, res)
	}
	if err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	switch {
	case res.Errors > 0:
		return fmt.Errorf("%d records failed; first error: %s", res.Errors, res.FirstError)
	case res.Mode == "e2e" && !res.Interrupted && res.Records < res.Produced:
		return fmt.Errorf("%d of %d acknowledged records were not consumed within --drain", res.Produced-res.Records, res.Produced)
	}
	return nil
}

// writeText renders res for people, e.g.
//
//	produce strom-bench: 1,000,000 records in 1.155s
//	  throughput        866,012 rec/s   887.0 MB/s   845.7 MiB/s
//	  produce latency   p50 2.10ms  p95 4.30ms  p99 5.12ms  p99.9 7.20ms  max 9.81ms  mean 2.31ms
func writeText(w io.Writer, res *engine.Result) error {
	p := &printer{w: w}
	elapsed := time.Duration(res.ElapsedSeconds * float64(time.Second)).Round(time.Millisecond)
	head := fmt.Sprintf("%s %s: %s records in %v", res.Mode, res.Topic, engine.FormatCount(res.Records), elapsed)
	if res.Mode == "e2e" {
		head = fmt.Sprintf("%s %s: %s of %s acknowledged records consumed in %v", res.Mode, res.Topic,
			engine.FormatCount(res.Records), engine.FormatCount(res.Produced), elapsed)
	}
	if res.Interrupted {
		head += " (interrupted)"
	}
	p.line("%s", head)
	p.line("  %-17s %s rec/s   %.1f MB/s   %.1f MiB/s%s", "throughput",
		engine.FormatCount(int64(res.RecordsPerSec)), res.MBPerSec, res.MiBPerSec, targetNote(res))
	p.latency("produce latency", res.Latency)
	p.latency("e2e latency", res.EndToEnd)
	if res.Errors > 0 {
		p.line("  %-17s %s (first: %s)", "errors", engine.FormatCount(res.Errors), res.FirstError)
	}
	return p.err
}

// targetNote flags a run that fell short of its target rate: its latencies
// then measure a backlog, not the broker at that rate.
func targetNote(res *engine.Result) string {
	if res.TargetRate <= 0 || res.Interrupted {
		return ""
	}
	note := fmt.Sprintf("   (target %s rec/s", engine.FormatCount(int64(res.TargetRate)))
	if res.RecordsPerSec < 0.95*res.TargetRate {
		note += ": NOT reached, the client or broker is saturated"
	}
	return note + ")"
}

// printer remembers the first write error so writeText can stay linear.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) line(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format+"\n", args...)
	}
}

func (p *printer) latency(name string, l *engine.LatencySummary) {
	if l == nil {
		return
	}
	d := func(us float64) string { return engine.FormatDuration(time.Duration(us * 1e3)) }
	p.line("  %-17s p50 %s  p95 %s  p99 %s  p99.9 %s  max %s  mean %s", name,
		d(l.P50Us), d(l.P95Us), d(l.P99Us), d(l.P999Us), d(l.MaxUs), d(l.MeanUs))
}
