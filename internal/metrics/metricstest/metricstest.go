// Package metricstest reads Prometheus metrics back in tests: it scrapes a
// /metrics endpoint over HTTP (or gathers a registry) and parses the text
// format with prometheus/common/expfmt, the way Prometheus itself would.
// Only _test.go files import it.
package metricstest

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Families are parsed metric families by name.
type Families map[string]*dto.MetricFamily

// Scrape GETs url and parses the Prometheus text exposition it returns.
func Scrape(url string) (Families, error) {
	cl := http.Client{Timeout: 10 * time.Second}
	resp, err := cl.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("parsing %s: %w", url, err)
	}
	return fams, nil
}

// Gather collects g's metrics.
func Gather(g prometheus.Gatherer) (Families, error) {
	mfs, err := g.Gather()
	if err != nil {
		return nil, err
	}
	out := Families{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out, nil
}

// Value is the value of the series of name whose labels include every
// name/value pair in labels (alternating), and whether there is one: a
// counter's or gauge's value, a histogram's sample count. When several
// series match it is their sum.
func (f Families) Value(name string, labels ...string) (float64, bool) {
	mf := f[name]
	if mf == nil {
		return 0, false
	}
	var sum float64
	found := false
	for _, m := range mf.GetMetric() {
		if !matches(m, labels) {
			continue
		}
		found = true
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		case m.Untyped != nil:
			sum += m.Untyped.GetValue()
		}
	}
	return sum, found
}

// Series counts the series of name.
func (f Families) Series(name string) int {
	if mf := f[name]; mf != nil {
		return len(mf.GetMetric())
	}
	return 0
}

func matches(m *dto.Metric, labels []string) bool {
	for i := 0; i+1 < len(labels); i += 2 {
		ok := false
		for _, lp := range m.GetLabel() {
			if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
