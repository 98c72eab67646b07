package metrics_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strom-project/strom/internal/metrics/metricstest"
	"github.com/strom-project/strom/internal/teststrom"
)

func TestMain(m *testing.M) {
	code := m.Run()
	teststrom.RemoveBinary()
	os.Exit(code)
}

// TestMetricsEndToEnd runs a real `strom serve`, produces and consumes with
// franz-go, commits a group offset, and reads everything back from
// /metrics the way Prometheus would.
func TestMetricsEndToEnd(t *testing.T) {
	b, err := teststrom.Start(teststrom.Options{Dir: t.TempDir(), Overrides: []string{"offsets.topic.num.partitions=3"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Stop(); err != nil {
			t.Errorf("%v\n%s", err, b.LogTail(40))
		}
	})
	base := "http://" + b.AdminAddr()
	for _, path := range []string{"/health", "/ready"} {
		if code := get(t, base+path); code != http.StatusOK {
			t.Errorf("GET %s: %d, want 200", path, code)
		}
	}
	before := scrape(t, base)

	const topic, group, n, committed = "metrics-e2e", "metrics-group", 100, 40
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.ProducerBatchCompression(kgo.NoCompression()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, topic); err != nil {
		t.Fatal(err)
	}
	value := bytes.Repeat([]byte("x"), 100)
	var recs []*kgo.Record
	for range n {
		recs = append(recs, &kgo.Record{Topic: topic, Value: value})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	consume(t, ctx, b.Addr(), topic, n)
	var offs kadm.Offsets
	offs.AddOffset(topic, 0, committed, -1)
	if err := adm.CommitAllOffsets(ctx, group, offs); err != nil {
		t.Fatal(err)
	}

	after := scrape(t, base)
	val := func(name string, labels ...string) float64 {
		t.Helper()
		v, ok := after.Value(name, labels...)
		if !ok {
			t.Fatalf("%s%v not exported", name, labels)
		}
		return v
	}
	delta := func(name string, labels ...string) float64 {
		old, _ := before.Value(name, labels...)
		return val(name, labels...) - old
	}
	produces, fetches := delta("strom_requests_total", "api", "Produce"), delta("strom_requests_total", "api", "Fetch")
	if produces < 1 || fetches < 1 {
		t.Errorf("Produce requests +%v, Fetch +%v: want both counted", produces, fetches)
	}
	if c := delta("strom_request_duration_seconds", "api", "Produce"); c != produces {
		t.Errorf("Produce latency observations %v, requests %v", c, produces)
	}
	// Bytes in are the stored record batches: the values plus at most ~20
	// bytes of framing per record and a 61-byte header per batch (at most
	// one batch per partition per request).
	in, out := val("strom_topic_bytes_in_total", "topic", topic), val("strom_topic_bytes_out_total", "topic", topic)
	minIn, maxIn := float64(n*len(value)), float64(n*len(value)+n*20)+61*produces
	if in <= minIn || in > maxIn {
		t.Errorf("bytes in %v, want in (%v, %v]", in, minIn, maxIn)
	}
	if out != in {
		t.Errorf("bytes out %v to one consumer that read the topic once, want the %v bytes in", out, in)
	}
	if m := val("strom_topic_messages_in_total", "topic", topic); m != n {
		t.Errorf("messages in %v, want %d", m, n)
	}
	tp := []string{"topic", topic, "partition", "0"}
	for name, want := range map[string]float64{"strom_log_end_offset": n, "strom_log_high_watermark": n, "strom_log_start_offset": 0} {
		if v := val(name, tp...); v != want {
			t.Errorf("%s = %v, want %v", name, v, want)
		}
	}
	if size := val("strom_log_size_bytes", tp...); size < in {
		t.Errorf("log size %v smaller than the %v bytes appended", size, in)
	}
	// One node: it hosts and leads the topic's partition and the offsets
	// topic's three, all fully replicated.
	for name, want := range map[string]float64{
		"strom_partitions": 4, "strom_partition_leaders": 4, "strom_under_replicated_partitions": 0,
		"strom_under_min_isr_partitions": 0, "strom_offline_partitions": 0, "strom_controller_active": 1,
	} {
		if v := val(name); v != want {
			t.Errorf("%s = %v, want %v", name, v, want)
		}
	}
	lag := []string{"group", group, "topic", topic, "partition", "0"}
	if v := val("strom_consumer_group_lag", lag...); v != n-committed {
		t.Errorf("group lag %v, want produced %d - committed %d", v, n, committed)
	}
	if v := val("strom_consumer_group_committed_offset", lag...); v != committed {
		t.Errorf("committed offset %v, want %d", v, committed)
	}
	if v := val("strom_log_dir_free_ratio"); v <= 0 || v > 1 {
		t.Errorf("log dir free ratio %v", v)
	}
}

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func scrape(t *testing.T, base string) metricstest.Families {
	t.Helper()
	f, err := metricstest.Scrape(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// consume reads n records of topic from the start with a fresh client.
func consume(t *testing.T, ctx context.Context, addr, topic string, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for seen := 0; seen < n; {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d: %v", seen, n, err)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetch %s/%d: %v", topic, p, err) })
		seen += fs.NumRecords()
	}
}
