package quota_test

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strom-project/strom/internal/metrics/metricstest"
	"github.com/strom-project/strom/internal/teststrom"
)

func TestMain(m *testing.M) {
	code := m.Run()
	teststrom.RemoveBinary()
	os.Exit(code)
}

const quotaRate = 100 << 10 // 100 KiB/s

// throttles counts the throttles a client was told about.
type throttles struct{ n atomic.Int64 }

func (h *throttles) OnBrokerThrottle(_ kgo.BrokerMetadata, d time.Duration, _ bool) {
	if d > 0 {
		h.n.Add(1)
	}
}

func startBroker(t *testing.T) (string, *kadm.Client, *teststrom.Broker) {
	t.Helper()
	// Two 1 s samples: a burst is spread over one second rather than ten,
	// so a 1 MiB run is long enough to see the rate (Kafka: 11 samples).
	b, err := teststrom.Start(teststrom.Options{Dir: t.TempDir(), Overrides: []string{"quota.window.num=2"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Stop() })
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return b.Addr(), kadm.NewClient(cl), b
}

func client(t *testing.T, addr, id string, h *throttles, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	opts = append([]kgo.Opt{kgo.SeedBrokers(addr), kgo.ClientID(id), kgo.WithHooks(h)}, opts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func ptr(s string) *string { return &s }

func slowEntity() kadm.ClientQuotaEntity {
	return kadm.ClientQuotaEntity{{Type: "client-id", Name: ptr("slow")}}
}

// produceMiB sends 1 MiB in 10 synchronous rounds of ten 10 KiB records
// and returns the throughput in bytes per second.
func produceMiB(t *testing.T, ctx context.Context, cl *kgo.Client, topic string) float64 {
	t.Helper()
	const size = 10 << 10
	start := time.Now()
	for round := 0; round < 10; round++ {
		var recs []*kgo.Record
		for i := 0; i < 10; i++ {
			// Random, distinct values: quotas count the bytes on the
			// wire, and repeated values compress.
			value := make([]byte, size)
			rand.Read(value)
			recs = append(recs, &kgo.Record{Topic: topic, Value: value})
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	return float64(100*size) / time.Since(start).Seconds()
}

// consumeAll reads n records from the start of topic and returns the
// throughput in bytes per second.
func consumeAll(t *testing.T, ctx context.Context, cl *kgo.Client, n int) float64 {
	t.Helper()
	start := time.Now()
	bytes, got := 0, 0
	for got < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d records: %v", got, n, err)
		}
		fs.EachRecord(func(r *kgo.Record) { got++; bytes += len(r.Value) })
	}
	return float64(bytes) / time.Since(start).Seconds()
}

// TestClientQuotasEndToEnd: AlterClientQuotas / DescribeClientQuotas
// through kadm, then byte-rate quotas enforced on a real franz-go producer
// and consumer: the throttled client stays near its quota and is told
// throttle times, another client id is not throttled, and removing the
// quota lifts the throttle.
func TestClientQuotasEndToEnd(t *testing.T) {
	addr, adm, b := startBroker(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "q"); err != nil {
		t.Fatal(err)
	}

	alter := func(entries ...kadm.AlterClientQuotaEntry) {
		t.Helper()
		res, err := adm.AlterClientQuotas(ctx, entries)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				t.Fatalf("alter %v: %v %s", r.Entity, r.Err, r.ErrMessage)
			}
		}
	}
	alter(kadm.AlterClientQuotaEntry{Entity: slowEntity(), Ops: []kadm.AlterClientQuotaOp{
		{Key: "producer_byte_rate", Value: quotaRate}, {Key: "consumer_byte_rate", Value: quotaRate}}},
		kadm.AlterClientQuotaEntry{Entity: kadm.ClientQuotaEntity{{Type: "user", Name: ptr("alice")}, {Type: "client-id"}},
			Ops: []kadm.AlterClientQuotaOp{{Key: "request_percentage", Value: 25}}})

	t.Run("describe", func(t *testing.T) { describeFilters(t, ctx, adm) })
	t.Run("invalid", func(t *testing.T) {
		res, err := adm.AlterClientQuotas(ctx, []kadm.AlterClientQuotaEntry{{Entity: slowEntity(),
			Ops: []kadm.AlterClientQuotaOp{{Key: "producer_byte_rate", Value: 1.5}}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 1 || !errors.Is(res[0].Err, kerr.InvalidRequest) || res[0].ErrMessage != "producer_byte_rate cannot be a fractional value." {
			t.Fatalf("fractional byte rate: %+v", res)
		}
	})

	var slowH, fastH throttles
	slow := client(t, addr, "slow", &slowH)
	rate := produceMiB(t, ctx, slow, "q")
	t.Logf("throttled producer: %.0f B/s", rate)
	if rate > 2*quotaRate {
		t.Errorf("throttled producer ran at %.0f B/s, quota %d B/s", rate, quotaRate)
	}
	if slowH.n.Load() == 0 {
		t.Error("the throttled producer saw no throttle_time_ms")
	}
	// The broker's metrics count what it throttled.
	fams, err := metricstest.Scrape("http://" + b.AdminAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := fams.Value("strom_quota_throttles_total", "quota", "produce"); n < float64(slowH.n.Load()) {
		t.Errorf("strom_quota_throttles_total{quota=produce} = %v, the client saw %d throttles", n, slowH.n.Load())
	}
	if s, _ := fams.Value("strom_quota_throttle_seconds_total", "quota", "produce"); s <= 0 {
		t.Errorf("strom_quota_throttle_seconds_total{quota=produce} = %v", s)
	}
	fast := client(t, addr, "fast", &fastH)
	produceMiB(t, ctx, fast, "q")
	if n := fastH.n.Load(); n != 0 {
		t.Errorf("a producer with another client id was throttled %d times", n)
	}

	// Consumers: 2 MiB are in the topic; the throttled one reads 1 MiB.
	var slowC, fastC throttles
	opts := []kgo.Opt{kgo.ConsumeTopics("q"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}
	rate = consumeAll(t, ctx, client(t, addr, "slow", &slowC, opts...), 100)
	t.Logf("throttled consumer: %.0f B/s", rate)
	if rate > 2*quotaRate {
		t.Errorf("throttled consumer ran at %.0f B/s, quota %d B/s", rate, quotaRate)
	}
	if slowC.n.Load() == 0 {
		t.Error("the throttled consumer saw no throttle_time_ms")
	}
	consumeAll(t, ctx, client(t, addr, "fast", &fastC, opts...), 200)
	if n := fastC.n.Load(); n != 0 {
		t.Errorf("a consumer with another client id was throttled %d times", n)
	}

	// Removing the quota lifts the throttle at once.
	alter(kadm.AlterClientQuotaEntry{Entity: slowEntity(), Ops: []kadm.AlterClientQuotaOp{
		{Key: "producer_byte_rate", Remove: true}, {Key: "consumer_byte_rate", Remove: true}}})
	before := slowH.n.Load()
	produceMiB(t, ctx, slow, "q")
	if n := slowH.n.Load() - before; n != 0 {
		t.Errorf("throttled %d times after the quota was removed", n)
	}
}

// describeFilters checks Kafka's filter semantics over two entities:
// {client-id=slow} and {user=alice, client-id=<default>}.
func describeFilters(t *testing.T, ctx context.Context, adm *kadm.Client) {
	for _, tc := range []struct {
		name   string
		strict bool
		comps  []kadm.DescribeClientQuotaComponent
		want   []string
	}{
		{name: "all", want: []string{"{user=alice, client-id=<default>}", "{client-id=slow}"}},
		{name: "exact client", comps: []kadm.DescribeClientQuotaComponent{{Type: "client-id", MatchName: ptr("slow")}},
			want: []string{"{client-id=slow}"}},
		{name: "default client", comps: []kadm.DescribeClientQuotaComponent{{Type: "client-id", MatchType: 1}},
			want: []string{"{user=alice, client-id=<default>}"}},
		{name: "any client, strict", strict: true, comps: []kadm.DescribeClientQuotaComponent{{Type: "client-id", MatchType: 2}},
			want: []string{"{client-id=slow}"}},
		{name: "any user", comps: []kadm.DescribeClientQuotaComponent{{Type: "user", MatchType: 2}},
			want: []string{"{user=alice, client-id=<default>}"}},
		{name: "no match", comps: []kadm.DescribeClientQuotaComponent{{Type: "user", MatchName: ptr("bob")}}},
	} {
		qs, err := adm.DescribeClientQuotas(ctx, tc.strict, tc.comps)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var got []string
		for _, q := range qs {
			got = append(got, q.Entity.String())
		}
		if strings.Join(got, ";") != strings.Join(tc.want, ";") {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	qs, err := adm.DescribeClientQuotas(ctx, false, []kadm.DescribeClientQuotaComponent{{Type: "client-id", MatchName: ptr("slow")}})
	if err != nil || len(qs) != 1 || len(qs[0].Values) != 2 || qs[0].Values[0] != (kadm.ClientQuotaValue{Key: "consumer_byte_rate", Value: quotaRate}) {
		t.Fatalf("values of client-id=slow: %+v %v", qs, err)
	}
	_, err = adm.DescribeClientQuotas(ctx, false, []kadm.DescribeClientQuotaComponent{{Type: "client-id", MatchType: 1, MatchName: ptr("x")}})
	var em *kadm.ErrAndMessage
	if !errors.As(err, &em) || !errors.Is(em.Err, kerr.InvalidRequest) {
		t.Fatalf("default match with a name: %v", err)
	}
}
