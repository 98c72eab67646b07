package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/metrics/metricstest"
)

func TestStateCollectorPartitionsAndImage(t *testing.T) {
	parts := []PartitionState{
		// Led here, fully in sync.
		{Topic: "a", Partition: 0, Leader: true, Replicas: 3, ISR: 3, MinISR: 2, LogStartOffset: 5, LogEndOffset: 100, HighWatermark: 90, SizeBytes: 4096},
		// Led here, one replica out: under-replicated, still at min ISR.
		{Topic: "a", Partition: 1, Leader: true, Replicas: 3, ISR: 2, MinISR: 2},
		// Led here, under min ISR too.
		{Topic: "b", Partition: 0, Leader: true, Replicas: 3, ISR: 1, MinISR: 2},
		// A follower's view of a shrunk ISR: the leader reports it, not us.
		{Topic: "b", Partition: 1, Leader: false, Replicas: 3, ISR: 1, MinISR: 2},
	}
	im := metadata.NewImage()
	im.Offset = 42
	im.Topics["a"] = &metadata.Topic{Name: "a", Partitions: []*metadata.Partition{{Partition: 0, Leader: 1}, {Partition: 1, Leader: -1}}}
	im.Brokers[1] = &metadata.Broker{ID: 1}
	im.Brokers[2] = &metadata.Broker{ID: 2, Fenced: true}
	im.Brokers[3] = &metadata.Broker{ID: 3, InControlledShutdown: true}
	c := NewStateCollector(Sources{
		Partitions:       func() []PartitionState { return parts },
		Image:            func() *metadata.Image { return im },
		ControllerActive: func() bool { return true },
		ISRChanges:       func() (int64, int64) { return 3, 2 },
	})
	f := gather(t, c)
	for _, w := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"strom_partitions", nil, 4},
		{"strom_partition_leaders", nil, 3},
		{"strom_under_replicated_partitions", nil, 2},
		{"strom_under_min_isr_partitions", nil, 1},
		{"strom_offline_partitions", nil, 1},
		{"strom_metadata_offset", nil, 42},
		{"strom_brokers", []string{"state", "unfenced"}, 1},
		{"strom_brokers", []string{"state", "fenced"}, 1},
		{"strom_brokers", []string{"state", "controlled_shutdown"}, 1},
		{"strom_controller_active", nil, 1},
		{"strom_isr_shrinks_total", nil, 3},
		{"strom_isr_expands_total", nil, 2},
		{"strom_log_size_bytes", []string{"topic", "a", "partition", "0"}, 4096},
		{"strom_log_start_offset", []string{"topic", "a", "partition", "0"}, 5},
		{"strom_log_end_offset", []string{"topic", "a", "partition", "0"}, 100},
		{"strom_log_high_watermark", []string{"topic", "a", "partition", "0"}, 90},
	} {
		got, ok := f.Value(w.name, w.labels...)
		if !ok || got != w.want {
			t.Errorf("%s%v = %v (present %v), want %v", w.name, w.labels, got, ok, w.want)
		}
	}
	if n := f.Series("strom_log_end_offset"); n != 4 {
		t.Errorf("%d log end offset series, want one per hosted partition (4)", n)
	}
}

func TestStateCollectorDisk(t *testing.T) {
	dir := t.TempDir()
	f := gather(t, NewStateCollector(Sources{LogDirs: []string{dir, filepath.Join(dir, "missing")}}))
	free, ok1 := f.Value("strom_log_dir_free_bytes", "dir", dir)
	total, ok2 := f.Value("strom_log_dir_total_bytes", "dir", dir)
	ratio, ok3 := f.Value("strom_log_dir_free_ratio", "dir", dir)
	if !ok1 || !ok2 || !ok3 {
		t.Fatalf("log dir metrics missing for %s", dir)
	}
	if total <= 0 || free < 0 || free > total || ratio != free/total {
		t.Errorf("free %v total %v ratio %v", free, total, ratio)
	}
	if n := f.Series("strom_log_dir_total_bytes"); n != 1 {
		t.Errorf("%d dir series, want 1: a dir that cannot be examined is left out", n)
	}
}

func TestStateCollectorLagBoundedAndSkipsUnknown(t *testing.T) {
	var lags []GroupLag
	for i := range 5 {
		lags = append(lags, GroupLag{Group: "g", Topic: "t", Partition: int32(i), Committed: 10, Lag: int64(i)})
	}
	lags = append(lags, GroupLag{Group: "g", Topic: "elsewhere", Partition: 0, Committed: 7, Lag: -1})
	c := NewStateCollector(Sources{MaxLagSeries: 3, GroupLag: func(context.Context) ([]GroupLag, error) { return lags, nil }})
	f := gather(t, c)
	if n := f.Series("strom_consumer_group_lag"); n != 3 {
		t.Errorf("%d lag series, want the cap of 3", n)
	}
	if v, _ := f.Value("strom_consumer_group_lag", "group", "g", "topic", "t", "partition", "2"); v != 2 {
		t.Errorf("lag of t-2 = %v, want 2", v)
	}
	if v, _ := f.Value("strom_consumer_group_committed_offset", "partition", "1"); v != 10 {
		t.Errorf("committed of t-1 = %v, want 10", v)
	}
	if _, ok := f.Value("strom_consumer_group_lag", "topic", "elsewhere"); ok {
		t.Error("a partition with unknown lag was reported")
	}
	failing := NewStateCollector(Sources{GroupLag: func(context.Context) ([]GroupLag, error) { return nil, errors.New("loading") }})
	if n := gather(t, failing).Series("strom_consumer_group_lag"); n != 0 {
		t.Errorf("%d lag series from a failing source", n)
	}
}

func TestTrafficCountsAndForgetsDeletedTopics(t *testing.T) {
	live := map[string]bool{"a": true, "b": true}
	tr := NewTraffic(func(topic string) bool { return live[topic] })
	tr.Produced("a", 100, 3)
	tr.Produced("a", 50, 2)
	tr.Fetched("a", 120, false)
	tr.Fetched("a", 150, true)
	tr.Produced("b", 1, 1)
	f := gather(t, tr)
	for _, w := range []struct {
		name string
		want float64
	}{
		{"strom_topic_bytes_in_total", 150},
		{"strom_topic_messages_in_total", 5},
		{"strom_topic_bytes_out_total", 120},
		{"strom_topic_replication_bytes_out_total", 150},
	} {
		if got, _ := f.Value(w.name, "topic", "a"); got != w.want {
			t.Errorf("%s{topic=a} = %v, want %v", w.name, got, w.want)
		}
	}
	delete(live, "b")
	f = gather(t, tr)
	if _, ok := f.Value("strom_topic_bytes_in_total", "topic", "b"); ok {
		t.Error("a deleted topic's traffic is still exported")
	}
	if _, ok := f.Value("strom_topic_bytes_in_total", "topic", "a"); !ok {
		t.Error("a live topic's traffic vanished")
	}
}

func TestHandlerProbesAndMetrics(t *testing.T) {
	m := New(nil)
	var notReady error = errors.New("fenced by the controller")
	srv := httptest.NewServer(m.Handler(func() error { return notReady }, nil))
	defer srv.Close()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(body)
	}
	if code, _ := get("/health"); code != http.StatusOK {
		t.Errorf("/health: %d", code)
	}
	if code, body := get("/ready"); code != http.StatusServiceUnavailable || !strings.Contains(body, "fenced") {
		t.Errorf("/ready while not ready: %d %q, want 503 with the reason", code, body)
	}
	notReady = nil
	if code, _ := get("/ready"); code != http.StatusOK {
		t.Errorf("/ready when ready: %d", code)
	}
	m.Requests.Observe(3, nil, nil, 0)
	f, err := metricstest.Scrape(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.Value("strom_requests_total", "api", "Metadata"); v != 1 {
		t.Errorf("strom_requests_total{api=Metadata} = %v, want 1", v)
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if f.Series(name) == 0 {
			t.Errorf("runtime metric %s missing", name)
		}
	}
}

func TestServeBindFailure(t *testing.T) {
	s, err := Serve("127.0.0.1:0", http.NotFoundHandler(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := Serve(s.Addr().String(), http.NotFoundHandler(), nil); err == nil || !strings.Contains(err.Error(), "admin listener") {
		t.Errorf("binding a taken address: %v, want an admin listener error", err)
	}
}
