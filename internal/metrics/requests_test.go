package metrics

import (
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/metrics/metricstest"
)

func gather(t *testing.T, cs ...prometheus.Collector) metricstest.Families {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(cs...)
	f, err := metricstest.Gather(reg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// wrappedFetch stands for a handler's wrapper around a kmsg response (the
// Fetch handler's pooled response): its error code is found through the
// embedding.
type wrappedFetch struct {
	*kmsg.FetchResponse
}

func TestRequestsCountsPerAPIAndErrors(t *testing.T) {
	r := NewRequests()
	produce := kmsg.NewPtrProduceResponse()
	for _, code := range []int16{0, kerr.NotLeaderForPartition.Code, kerr.NotLeaderForPartition.Code, kerr.NotEnoughReplicas.Code} {
		rt := kmsg.NewProduceResponseTopic()
		rp := kmsg.NewProduceResponseTopicPartition()
		rp.ErrorCode = code
		rt.Partitions = append(rt.Partitions, rp)
		produce.Topics = append(produce.Topics, rt)
	}
	fetchErr := &wrappedFetch{FetchResponse: kmsg.NewPtrFetchResponse()}
	fetchErr.ErrorCode = kerr.FetchSessionIDNotFound.Code
	for _, o := range []struct {
		key  int16
		resp kmsg.Response
		err  error
		d    time.Duration
	}{
		{0, produce, nil, 2 * time.Millisecond},
		{0, nil, nil, time.Millisecond}, // acks=0: no response
		{1, kmsg.NewPtrFetchResponse(), nil, 300 * time.Millisecond},
		{1, fetchErr, nil, time.Millisecond},
		{1, &wrappedFetch{}, nil, time.Millisecond}, // nil embedded response: no error read, no crash
		{3, kmsg.NewPtrMetadataResponse(), nil, 50 * time.Microsecond},
		{18, nil, errors.New("malformed"), time.Microsecond},
		{-1, nil, nil, 0},  // a malformed header: ignored
		{999, nil, nil, 0}, // not an API key: ignored
	} {
		r.Observe(o.key, o.resp, o.err, o.d)
	}
	f := gather(t, r.Collectors()...)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"strom_requests_total", []string{"api", "Produce"}, 2},
		{"strom_requests_total", []string{"api", "Fetch"}, 3},
		{"strom_requests_total", []string{"api", "Metadata"}, 1},
		{"strom_requests_total", []string{"api", "ApiVersions"}, 1},
		{"strom_request_duration_seconds", []string{"api", "Fetch"}, 3},
		{"strom_request_errors_total", []string{"api", "Produce", "error", "NOT_LEADER_OR_FOLLOWER"}, 2},
		{"strom_request_errors_total", []string{"api", "Produce", "error", "NOT_ENOUGH_REPLICAS"}, 1},
		{"strom_request_errors_total", []string{"api", "Fetch", "error", "FETCH_SESSION_ID_NOT_FOUND"}, 1},
		{"strom_request_errors_total", []string{"api", "ApiVersions", "error", closedError}, 1},
	} {
		if got, _ := f.Value(c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if n := f.Series("strom_requests_total"); n != 4 {
		t.Errorf("%d request series, want 4 (one per API seen)", n)
	}
	if _, ok := f.Value("strom_request_errors_total", "api", "Metadata"); ok {
		t.Error("an error counted for a successful Metadata response")
	}
	// The Fetch latencies landed in their buckets: two of three at or
	// below 1ms.
	for _, m := range f["strom_request_duration_seconds"].GetMetric() {
		if m.GetLabel()[0].GetValue() != "Fetch" {
			continue
		}
		for _, b := range m.GetHistogram().GetBucket() {
			if b.GetUpperBound() == .001 && b.GetCumulativeCount() != 2 {
				t.Errorf("Fetch bucket le=0.001 has %d, want 2", b.GetCumulativeCount())
			}
		}
	}
}

// BenchmarkObserve is the per-request instrumentation cost on the success
// path: the children lookup, a counter, a histogram and the error check.
func BenchmarkObserve(b *testing.B) {
	r := NewRequests()
	resp := kmsg.NewPtrProduceResponse()
	rt := kmsg.NewProduceResponseTopic()
	rt.Partitions = append(rt.Partitions, kmsg.NewProduceResponseTopicPartition())
	resp.Topics = append(resp.Topics, rt)
	fetch := &wrappedFetch{FetchResponse: kmsg.NewPtrFetchResponse()}
	b.Run("produce", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.Observe(0, resp, nil, time.Millisecond)
		}
	})
	b.Run("fetch", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.Observe(1, fetch, nil, time.Millisecond)
		}
	})
	b.Run("produce-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r.Observe(0, resp, nil, time.Millisecond)
			}
		})
	})
}

// BenchmarkTraffic is the per-partition cost of the Produce/Fetch hooks.
func BenchmarkTraffic(b *testing.B) {
	tr := NewTraffic(nil)
	b.ReportAllocs()
	for b.Loop() {
		tr.Produced("orders", 16384, 100)
	}
}

// BenchmarkRequestPath is everything instrumentation adds to serving one
// single-partition Produce: the connection's two clock reads, Observe, and
// the handler's Traffic hook.
func BenchmarkRequestPath(b *testing.B) {
	r, tr := NewRequests(), NewTraffic(nil)
	resp := kmsg.NewPtrProduceResponse()
	rt := kmsg.NewProduceResponseTopic()
	rt.Partitions = append(rt.Partitions, kmsg.NewProduceResponseTopicPartition())
	resp.Topics = append(resp.Topics, rt)
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		tr.Produced("orders", 16384, 100)
		r.Observe(0, resp, nil, time.Since(start))
	}
}
