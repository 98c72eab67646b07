package bench

import (
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestProducerSettings(t *testing.T) {
	for _, tc := range []struct {
		name    string
		s       ProducerSettings
		wantErr string
	}{
		{"defaults", ProducerSettings{Idempotent: true}, ""},
		{"acks 1 plain", ProducerSettings{Acks: "1", Compression: "lz4"}, ""},
		{"acks 0 zstd", ProducerSettings{Acks: "0", Compression: "ZSTD"}, ""},
		{"acks -1 idempotent", ProducerSettings{Acks: "-1", Idempotent: true}, ""},
		{"idempotent needs all", ProducerSettings{Acks: "1", Idempotent: true}, "requires acks=all"},
		{"bad acks", ProducerSettings{Acks: "2"}, "invalid acks"},
		{"bad codec", ProducerSettings{Compression: "brotli"}, "invalid compression"},
		{"negative linger", ProducerSettings{Linger: -time.Second}, "negative linger"},
		{"negative batch", ProducerSettings{BatchMaxBytes: -1}, "negative batch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.s.kgoOptions()
			checkErr(t, err, tc.wantErr)
		})
	}
}

func TestConfigValidate(t *testing.T) {
	ok := ProduceConfig{Brokers: []string{"x:1"}, Topic: "t", Records: 1}
	for _, tc := range []struct {
		name    string
		edit    func(*ProduceConfig)
		wantErr string
	}{
		{"ok", func(*ProduceConfig) {}, ""},
		{"duration only", func(c *ProduceConfig) { c.Records, c.Duration = 0, time.Second }, ""},
		{"no limit", func(c *ProduceConfig) { c.Records = 0 }, "set records or duration"},
		{"no brokers", func(c *ProduceConfig) { c.Brokers = nil }, "no brokers"},
		{"no topic", func(c *ProduceConfig) { c.Topic = "" }, "no topic"},
		{"negative size", func(c *ProduceConfig) { c.RecordSize = -1 }, "negative record size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			checkErr(t, c.validate(), tc.wantErr)
			if tc.wantErr == "" && c.Producers != 1 {
				t.Fatalf("Producers = %d, want default 1", c.Producers)
			}
		})
	}

	e := E2EConfig{Brokers: []string{"x:1"}, Topic: "t", Rate: 10, Duration: time.Second, RecordSize: 8}
	checkErr(t, e.validate(), "below the 16-byte e2e stamp")
	e.RecordSize, e.Rate = 16, 0
	checkErr(t, e.validate(), "positive rate")
	e.Rate = 10
	checkErr(t, e.validate(), "")
	if e.Drain != 10*time.Second || e.Consumers != 1 {
		t.Fatalf("defaults not applied: drain %v consumers %d", e.Drain, e.Consumers)
	}

	c := ConsumeConfig{Brokers: []string{"x:1"}, Topic: "t", From: "middle"}
	checkErr(t, c.validate(), "invalid from")
}

func TestAssign(t *testing.T) {
	parts := []partitionOffsets{{0, 0, 10}, {1, 5, 7}, {2, 0, 0}, {3, 1, 2}, {4, 0, 3}}
	from := func(p partitionOffsets) kgo.Offset { return kgo.NewOffset().At(p.Start) }
	for _, tc := range []struct {
		consumers int
		want      [][]int32
	}{
		{1, [][]int32{{0, 1, 2, 3, 4}}},
		{2, [][]int32{{0, 2, 4}, {1, 3}}},
		{9, [][]int32{{0}, {1}, {2}, {3}, {4}}}, // capped at one per partition
	} {
		got := assign("t", parts, tc.consumers, from)
		if len(got) != len(tc.want) {
			t.Fatalf("%d consumers: %d assignments, want %d", tc.consumers, len(got), len(tc.want))
		}
		for i, ps := range tc.want {
			if len(got[i]["t"]) != len(ps) {
				t.Fatalf("%d consumers: consumer %d has %v, want %v", tc.consumers, i, got[i]["t"], ps)
			}
			for _, p := range ps {
				if _, ok := got[i]["t"][p]; !ok {
					t.Fatalf("%d consumers: consumer %d lacks partition %d", tc.consumers, i, p)
				}
			}
		}
	}
}

func TestTailTracker(t *testing.T) {
	tr := newTailTracker([]partitionOffsets{{0, 0, 10}, {1, 5, 8}, {2, 3, 3}}) // partition 2 is empty
	for _, step := range []struct {
		partition int32
		offset    int64
		want      bool
	}{
		{0, 4, false},
		{1, 7, false},   // partition 1 done, 0 still pending
		{1, 7, false},   // re-reporting a done partition changes nothing
		{9, 100, false}, // unknown partition
		{0, 11, true},   // past the end (a gap) also completes
		{0, 12, false},
	} {
		if got := tr.reached(step.partition, step.offset); got != step.want {
			t.Fatalf("reached(%d, %d) = %v, want %v", step.partition, step.offset, got, step.want)
		}
	}
}

func TestStamper(t *testing.T) {
	base := time.Now()
	st := &stamper{base: base, runID: 42}
	b := make([]byte, 100)
	st.stamp(b, base.Add(3*time.Millisecond))
	lat, ok := st.latency(b, base.Add(5*time.Millisecond))
	if !ok || lat != 2*time.Millisecond {
		t.Fatalf("latency = %v, %v; want 2ms, true", lat, ok)
	}
	other := &stamper{base: base, runID: 43}
	if _, ok := other.latency(b, base); ok {
		t.Fatal("record of another run accepted")
	}
	if _, ok := st.latency(b[:StampSize-1], base); ok {
		t.Fatal("short record accepted")
	}
}

func TestFormatting(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{950, "950ns"},
		{95_300, "95.3µs"},
		{1_234, "1.23µs"},
		{3_210_000, "3.21ms"},
		{250 * time.Millisecond, "250ms"},
		{12_300 * time.Millisecond, "12.3s"},
	} {
		if got := FormatDuration(tc.d); got != tc.want {
			t.Errorf("FormatDuration(%d) = %q, want %q", tc.d, got, tc.want)
		}
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 866123: "866,123", -1234567: "-1,234,567"} {
		if got := FormatCount(n); got != want {
			t.Errorf("FormatCount(%d) = %q, want %q", n, got, want)
		}
	}
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Fatalf("no error, want one containing %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Fatalf("error %q does not contain %q", err, want)
	}
}
