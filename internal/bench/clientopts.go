package bench

import (
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// ProducerSettings are the producer knobs shared by Produce and EndToEnd.
// Each names the Kafka producer config it mirrors.
type ProducerSettings struct {
	// Acks is "all" (or "-1"), "1" or "0"; Kafka's acks, default all.
	Acks string `json:"acks"`
	// Compression is none, gzip, snappy, lz4 or zstd; Kafka's
	// compression.type. Empty means none (franz-go's own default is snappy).
	Compression string `json:"compression"`
	// Linger is Kafka's linger.ms.
	Linger time.Duration `json:"linger_ns"`
	// BatchMaxBytes is Kafka's batch.size; 0 keeps franz-go's default
	// (1,000,012 bytes).
	BatchMaxBytes int32 `json:"batch_max_bytes"`
	// Idempotent is Kafka's enable.idempotence; it requires Acks "all".
	// Without it, up to 5 requests are in flight per broker, Kafka's
	// max.in.flight.requests.per.connection default, as with it.
	Idempotent bool `json:"idempotent"`
}

// kgoOptions translates s into client options.
func (s ProducerSettings) kgoOptions() ([]kgo.Opt, error) {
	acks, err := parseAcks(s.Acks)
	if err != nil {
		return nil, err
	}
	codec, err := parseCompression(s.Compression)
	if err != nil {
		return nil, err
	}
	if s.Idempotent && acks != kgo.AllISRAcks() {
		return nil, fmt.Errorf("idempotent produce requires acks=all, got acks=%s", s.Acks)
	}
	if s.Linger < 0 {
		return nil, fmt.Errorf("negative linger %v", s.Linger)
	}
	opts := []kgo.Opt{
		kgo.RequiredAcks(acks),
		kgo.ProducerBatchCompression(codec),
		kgo.ProducerLinger(s.Linger),
	}
	if !s.Idempotent {
		opts = append(opts, kgo.DisableIdempotentWrite(), kgo.MaxProduceRequestsInflightPerBroker(5))
	}
	if s.BatchMaxBytes < 0 {
		return nil, fmt.Errorf("negative batch max bytes %d", s.BatchMaxBytes)
	}
	if s.BatchMaxBytes > 0 {
		opts = append(opts, kgo.ProducerBatchMaxBytes(s.BatchMaxBytes))
	}
	return opts, nil
}

func parseAcks(s string) (kgo.Acks, error) {
	switch strings.ToLower(s) {
	case "all", "-1", "":
		return kgo.AllISRAcks(), nil
	case "1", "leader":
		return kgo.LeaderAck(), nil
	case "0", "none":
		return kgo.NoAck(), nil
	}
	return kgo.Acks{}, fmt.Errorf("invalid acks %q: want all, 1 or 0", s)
}

func parseCompression(s string) (kgo.CompressionCodec, error) {
	switch strings.ToLower(s) {
	case "none", "":
		return kgo.NoCompression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	}
	return kgo.CompressionCodec{}, fmt.Errorf("invalid compression %q: want none, gzip, snappy, lz4 or zstd", s)
}

// baseOptions are the options of every client a run creates.
func baseOptions(brokers []string, extra []kgo.Opt, role string) []kgo.Opt {
	return append([]kgo.Opt{
		kgo.SeedBrokers(brokers...),
		kgo.ClientID("strom-bench-" + role),
	}, extra...)
}
