package compat

import (
	"context"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Batch compression codecs as stored in RecordBatch attributes.
const (
	codecNone   = 0
	codecGzip   = 1
	codecSnappy = 2
	codecLz4    = 3
	codecZstd   = 4
)

// newKgo returns a franz-go client seeded with the broker, closed when t ends.
func newKgo(t *testing.T, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(brokerAddr)}, opts...)...)
	if err != nil {
		t.Fatalf("kgo.NewClient: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// createTopic creates topic with the given partitions through kadm.
func createTopic(t *testing.T, ctx context.Context, topic string, partitions int32) {
	t.Helper()
	adm := kadm.NewClient(newKgo(t))
	resp, err := adm.CreateTopics(ctx, partitions, 1, nil, topic)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		t.Fatalf("kadm CreateTopics %s: %v", topic, err)
	}
}

// readPartitions consumes partitions 0..partitions-1 of topic from the start with
// franz-go by assignment until exactly want records arrived, and returns them in
// arrival order (which preserves per-partition order).
func readPartitions(t *testing.T, ctx context.Context, topic string, partitions int32, want int) []*kgo.Record {
	t.Helper()
	assign := map[int32]kgo.Offset{}
	for p := range partitions {
		assign[p] = kgo.NewOffset().AtStart()
	}
	cl := newKgo(t, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: assign}))
	var got []*kgo.Record
	for len(got) < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d records from %s before the deadline: %v", len(got), want, topic, ctx.Err())
		}
		fs.EachError(func(tp string, p int32, err error) {
			t.Errorf("fetch %s/%d: %v", tp, p, err)
		})
		if t.Failed() {
			t.FailNow()
		}
		got = append(got, fs.Records()...)
	}
	if len(got) != want {
		t.Fatalf("read %d records from %s, want exactly %d", len(got), topic, want)
	}
	return got
}

// requireCodec fails t unless every record is stored in a batch compressed with
// want: Kafka's default compression.type=producer keeps the producer's batches.
func requireCodec(t *testing.T, recs []*kgo.Record, want uint8) {
	t.Helper()
	for _, r := range recs {
		if got := r.Attrs.CompressionType(); got != want {
			t.Fatalf("%s/%d offset %d stored with %s, want %s (the producer sent it uncompressed or the broker recompressed it)",
				r.Topic, r.Partition, r.Offset, codecName(got), codecName(want))
		}
	}
}

// codecByName maps a client's codec name to its RecordBatch attribute value.
var codecByName = map[string]uint8{"none": codecNone, "gzip": codecGzip, "snappy": codecSnappy, "lz4": codecLz4, "zstd": codecZstd}

func codecName(c uint8) string {
	names := []string{"none", "gzip", "snappy", "lz4", "zstd"}
	if int(c) < len(names) {
		return names[c]
	}
	return fmt.Sprintf("codec(%d)", c)
}

// librdkafkaLz4Gap is why librdkafka ≤ 2.11 (kcat, confluent-kafka-python)
// sends lz4 batches uncompressed today: rdkafka_feature.c enables lz4 only
// when the broker advertises FindCoordinator v0, which arrives with the
// group coordinator (consumer-groups issue).
const librdkafkaLz4Gap = "librdkafka ≤ 2.11 enables lz4 only when the broker advertises FindCoordinator v0, " +
	"which arrives with consumer groups; until then it sends lz4 batches uncompressed (read-back is still exact)."

// librdkafkaCodec returns the codec librdkafka actually stores for codec,
// recording the lz4 gap for the running scenario. It follows the broker under
// test: once its ApiVersions include FindCoordinator v0, lz4 must be stored
// as lz4 and the gap is gone.
func librdkafkaCodec(client, scenario string, codec uint8) uint8 {
	if codec == codecLz4 && !advertises(kmsg.FindCoordinator, 0) {
		knownGap(client, scenario, librdkafkaLz4Gap)
		return codecNone
	}
	return codec
}
