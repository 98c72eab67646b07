package compat

import (
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"
)

// kafkaGoWrite writes n keyed messages (key i, value <prefix>i) in one WriteMessages
// call, hashing keys with Kafka's murmur2 (as the Java client does).
func kafkaGoWrite(t *testing.T, w *kafka.Writer, prefix string, n int) []kafka.Message {
	t.Helper()
	w.Addr = kafka.TCP(brokerAddr)
	// A Transport of its own: the shared DefaultTransport caches metadata and would
	// not see a topic created since its last refresh.
	tr := &kafka.Transport{}
	defer tr.CloseIdleConnections()
	w.Transport = tr
	w.Balancer = &kafka.Murmur2Balancer{}
	w.BatchTimeout = 10 * time.Millisecond
	w.BatchSize = n
	w.WriteTimeout = 10 * time.Second
	defer w.Close()
	msgs := make([]kafka.Message, n)
	for i := range msgs {
		msgs[i] = kafka.Message{Key: fmt.Appendf(nil, "key%d", i), Value: fmt.Appendf(nil, "%s%d", prefix, i)}
	}
	if err := w.WriteMessages(scenarioContext(t), msgs...); err != nil {
		t.Fatalf("Writer.WriteMessages (acks=%d, compression=%v): %v", w.RequiredAcks, w.Compression, err)
	}
	return msgs
}

// kafkaGoRead reads partition p of topic from its first offset with a Reader without
// GroupID until it has n messages, formatted "offset key=value".
func kafkaGoRead(t *testing.T, topic string, p, n int) []string {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: []string{brokerAddr}, Topic: topic, Partition: p,
		MinBytes: 1, MaxBytes: 1 << 20, MaxWait: 100 * time.Millisecond,
	})
	defer r.Close()
	if err := r.SetOffset(kafka.FirstOffset); err != nil {
		t.Fatalf("Reader.SetOffset: %v", err)
	}
	ctx := scenarioContext(t)
	var got []string
	for len(got) < n {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("Reader.ReadMessage %s/%d after %d of %d: %v", topic, p, len(got), n, err)
		}
		got = append(got, fmt.Sprintf("%d %s=%s", m.Offset, m.Key, m.Value))
	}
	return got
}

// expectByPartition places msgs where murmur2 puts their keys (franz-go's
// StickyKeyPartitioner hashes like kafka-go's Murmur2Balancer), with dense offsets.
func expectByPartition(topic string, msgs []kafka.Message, partitions int) map[int][]string {
	part := kgo.StickyKeyPartitioner(nil).ForTopic(topic)
	out := map[int][]string{}
	for _, m := range msgs {
		p := part.Partition(&kgo.Record{Key: m.Key}, partitions)
		out[p] = append(out[p], fmt.Sprintf("%d %s=%s", len(out[p]), m.Key, m.Value))
	}
	return out
}

func TestKafkaGo(t *testing.T) {
	const partitions, n = 3, 30

	var topic string
	scenario(t, clientKafkaGo, "create topics", func(t *testing.T) {
		topic = topicName(t)
		cl := &kafka.Client{Addr: kafka.TCP(brokerAddr), Timeout: 10 * time.Second}
		resp, err := cl.CreateTopics(scenarioContext(t), &kafka.CreateTopicsRequest{
			Topics: []kafka.TopicConfig{{Topic: topic, NumPartitions: partitions, ReplicationFactor: 1}},
		})
		if err == nil {
			err = resp.Errors[topic]
		}
		if err != nil {
			t.Fatalf("Client.CreateTopics: %v", err)
		}
		waitFor(t, 20*time.Second, func() error {
			md, err := cl.Metadata(scenarioContext(t), &kafka.MetadataRequest{Topics: []string{topic}})
			if err == nil && (len(md.Topics) != 1 || len(md.Topics[0].Partitions) != partitions) {
				err = fmt.Errorf("metadata = %+v, want %d partitions", md.Topics, partitions)
			}
			return err
		})
	})

	var msgs []kafka.Message
	scenario(t, clientKafkaGo, "produce", func(t *testing.T) {
		msgs = kafkaGoWrite(t, &kafka.Writer{Topic: topic, RequiredAcks: kafka.RequireAll}, "value", n)
	})
	scenario(t, clientKafkaGo, "consume by assignment", func(t *testing.T) {
		if msgs == nil {
			t.Fatal("nothing produced")
		}
		for p, want := range expectByPartition(topic, msgs, partitions) {
			equalLines(t, fmt.Sprintf("partition %d", p), kafkaGoRead(t, topic, p, len(want)), want)
		}
	})

	scenario(t, clientKafkaGo, "produce acks=0", func(t *testing.T) {
		topic := topicName(t)
		createTopic(t, scenarioContext(t), topic, 1)
		msgs := kafkaGoWrite(t, &kafka.Writer{Topic: topic, RequiredAcks: kafka.RequireNone}, "a", n)
		// No response comes back; the records must still all arrive, in order.
		equalLines(t, "partition 0", kafkaGoRead(t, topic, 0, n), expectByPartition(topic, msgs, 1)[0])
	})

	for _, c := range []struct {
		codec kafka.Compression
		want  uint8
	}{{kafka.Gzip, codecGzip}, {kafka.Snappy, codecSnappy}, {kafka.Lz4, codecLz4}, {kafka.Zstd, codecZstd}} {
		scenario(t, clientKafkaGo, "compression "+c.codec.String(), func(t *testing.T) {
			topic := topicName(t)
			createTopic(t, scenarioContext(t), topic, 1)
			w := &kafka.Writer{Topic: topic, RequiredAcks: kafka.RequireAll, Compression: c.codec}
			msgs := kafkaGoWrite(t, w, compressible, n)
			equalLines(t, "partition 0", kafkaGoRead(t, topic, 0, n), expectByPartition(topic, msgs, 1)[0])
			requireCodec(t, readPartitions(t, scenarioContext(t), topic, 1, n), c.want)
		})
	}
}
