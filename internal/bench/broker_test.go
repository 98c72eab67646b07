package bench

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/strom-project/strom/internal/testcluster"
)

// testBrokers returns the brokers in STROM_TEST_BROKERS (any Kafka-wire
// broker: Strom, Kafka, kfake), or starts an in-process Strom node.
func testBrokers(t *testing.T) []string {
	t.Helper()
	if v := os.Getenv("STROM_TEST_BROKERS"); v != "" {
		return strings.Split(v, ",")
	}
	return testcluster.Start(t, testcluster.Options{Nodes: 1}).Bootstrap()
}

// newTestTopic creates a fresh topic with the given partitions.
func newTestTopic(t *testing.T, brokers []string, partitions int32) string {
	t.Helper()
	topic := fmt.Sprintf("bench-test-%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := EnsureTopic(ctx, brokers, topic, TopicSpec{Create: true, Partitions: partitions, ReplicationFactor: 1}); err != nil {
		t.Fatalf("EnsureTopic: %v", err)
	}
	return topic
}

func TestProduceConsumeAgainstBroker(t *testing.T) {
	brokers := testBrokers(t)
	topic := newTestTopic(t, brokers, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	var total int64
	for _, tc := range []struct {
		name string
		cfg  ProduceConfig
	}{
		{"async acks all", ProduceConfig{Records: 3000, RecordSize: 1024, ProducerSettings: ProducerSettings{Acks: "all", Idempotent: true}}},
		{"sync", ProduceConfig{Records: 50, RecordSize: 100, Sync: true, ProducerSettings: ProducerSettings{Acks: "all", Idempotent: true}}},
		{"2 producers throttled", ProduceConfig{Records: 400, RecordSize: 10, Producers: 2, Throughput: 2000}},
		{"acks 1 lz4", ProduceConfig{Records: 1000, RecordSize: 512, ProducerSettings: ProducerSettings{Acks: "1", Compression: "lz4"}}},
		{"acks 0 zstd", ProduceConfig{Records: 1000, RecordSize: 512, ProducerSettings: ProducerSettings{Acks: "0", Compression: "zstd"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Brokers, cfg.Topic = brokers, topic
			res, err := Produce(ctx, cfg)
			if err != nil {
				t.Fatalf("Produce: %v", err)
			}
			if res.Records != cfg.Records || res.Errors != 0 {
				t.Fatalf("acked %d records with %d errors (%s), want %d and 0", res.Records, res.Errors, res.FirstError, cfg.Records)
			}
			if res.Bytes != cfg.Records*int64(cfg.RecordSize) || res.Latency == nil || res.Latency.Count != cfg.Records {
				t.Fatalf("bytes %d latency %+v, want %d bytes and %d latencies", res.Bytes, res.Latency, cfg.Records*int64(cfg.RecordSize), cfg.Records)
			}
			total += res.Records
		})
	}

	for _, consumers := range []int{1, 3, 10} {
		t.Run(fmt.Sprintf("consume with %d", consumers), func(t *testing.T) {
			res, err := Consume(ctx, ConsumeConfig{Brokers: brokers, Topic: topic, From: "start", Consumers: consumers})
			if err != nil {
				t.Fatalf("Consume: %v", err)
			}
			if res.Records != total || res.Errors != 0 {
				t.Fatalf("consumed %d records with %d errors (%s), want %d", res.Records, res.Errors, res.FirstError, total)
			}
		})
	}
}

func TestEndToEndAgainstBroker(t *testing.T) {
	brokers := testBrokers(t)
	topic := newTestTopic(t, brokers, 3)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Records from before the run must be ignored, not measured.
	if _, err := Produce(ctx, ProduceConfig{Brokers: brokers, Topic: topic, Records: 100, RecordSize: 64}); err != nil {
		t.Fatalf("seed Produce: %v", err)
	}
	res, err := EndToEnd(ctx, E2EConfig{
		Brokers: brokers, Topic: topic, Rate: 1000, Records: 500, RecordSize: 64, Consumers: 2,
		ProducerSettings: ProducerSettings{Acks: "all", Idempotent: true},
	})
	if err != nil {
		t.Fatalf("EndToEnd: %v", err)
	}
	if res.Produced != 500 || res.Records != 500 || res.Errors != 0 {
		t.Fatalf("produced %d consumed %d errors %d (%s), want 500/500/0", res.Produced, res.Records, res.Errors, res.FirstError)
	}
	if res.EndToEnd == nil || res.EndToEnd.Count != 500 || res.EndToEnd.MinUs <= 0 {
		t.Fatalf("e2e latency %+v, want 500 positive samples", res.EndToEnd)
	}
}

func TestMissingTopicAgainstBroker(t *testing.T) {
	brokers := testBrokers(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := Consume(ctx, ConsumeConfig{Brokers: brokers, Topic: fmt.Sprintf("bench-missing-%d", time.Now().UnixNano()), From: "start"})
	if err == nil || !strings.Contains(err.Error(), "--create") {
		t.Fatalf("Consume of a missing topic: %v, want an error hinting at --create", err)
	}
}
