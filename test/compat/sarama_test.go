package compat

import (
	"fmt"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

func saramaConfig(version sarama.KafkaVersion) *sarama.Config {
	cfg := sarama.NewConfig()
	cfg.Version = version
	cfg.ClientID = "strom-compat"
	cfg.Net.DialTimeout = 5 * time.Second
	cfg.Metadata.Retry.Max = 5
	cfg.Metadata.Retry.Backoff = 100 * time.Millisecond
	cfg.Producer.Return.Successes = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Partitioner = sarama.NewHashPartitioner
	cfg.Producer.Timeout = 10 * time.Second
	cfg.Consumer.Return.Errors = true
	return cfg
}

// saramaProduce sends n keyed messages (key i, value <prefix>i) with a SyncProducer and
// returns "partition/offset key=value" per message, grouped by partition.
func saramaProduce(t *testing.T, cfg *sarama.Config, topic, prefix string, n int) map[int32][]string {
	t.Helper()
	p, err := sarama.NewSyncProducer([]string{brokerAddr}, cfg)
	if err != nil {
		t.Fatalf("NewSyncProducer: %v", err)
	}
	defer p.Close()
	msgs := make([]*sarama.ProducerMessage, n)
	for i := range msgs {
		msgs[i] = &sarama.ProducerMessage{Topic: topic, Key: sarama.StringEncoder(fmt.Sprintf("key%d", i)),
			Value: sarama.StringEncoder(fmt.Sprintf("%s%d", prefix, i))}
	}
	if err := p.SendMessages(msgs); err != nil {
		t.Fatalf("SendMessages: %v", err)
	}
	out := map[int32][]string{}
	for _, m := range msgs {
		out[m.Partition] = append(out[m.Partition], fmt.Sprintf("%d/%d %s=%s", m.Partition, m.Offset, m.Key, m.Value))
	}
	return out
}

// saramaConsume reads partition p of topic from the oldest offset with a partition
// consumer until it has n messages, formatted like saramaProduce's.
func saramaConsume(t *testing.T, cfg *sarama.Config, topic string, p int32, n int) []string {
	t.Helper()
	c, err := sarama.NewConsumer([]string{brokerAddr}, cfg)
	if err != nil {
		t.Fatalf("NewConsumer: %v", err)
	}
	defer c.Close()
	pc, err := c.ConsumePartition(topic, p, sarama.OffsetOldest)
	if err != nil {
		t.Fatalf("ConsumePartition(%s, %d): %v", topic, p, err)
	}
	defer pc.Close()
	ctx := scenarioContext(t)
	var got []string
	for len(got) < n {
		select {
		case m := <-pc.Messages():
			got = append(got, fmt.Sprintf("%d/%d %s=%s", m.Partition, m.Offset, m.Key, m.Value))
		case err := <-pc.Errors():
			t.Fatalf("partition consumer: %v", err)
		case <-ctx.Done():
			t.Fatalf("consumed %d of %d messages from %s/%d: %q", len(got), n, topic, p, got)
		}
	}
	return got
}

func TestSarama(t *testing.T) {
	const partitions, n = 3, 30

	for _, v := range []struct {
		suffix  string
		version sarama.KafkaVersion
	}{{"", sarama.DefaultVersion}, {" (Version=4.1.0)", sarama.V4_1_0_0}} {
		cfg := saramaConfig(v.version)
		var topic string
		var produced map[int32][]string
		scenario(t, clientSarama, "create topics"+v.suffix, func(t *testing.T) {
			topic = topicName(t)
			adm, err := sarama.NewClusterAdmin([]string{brokerAddr}, cfg)
			if err != nil {
				t.Fatalf("NewClusterAdmin: %v", err)
			}
			defer adm.Close()
			if err := adm.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: 1}, false); err != nil {
				t.Fatalf("CreateTopic: %v", err)
			}
			waitFor(t, 20*time.Second, func() error {
				md, err := adm.DescribeTopics([]string{topic})
				if err == nil && (len(md) != 1 || len(md[0].Partitions) != partitions) {
					err = fmt.Errorf("DescribeTopics = %+v, want %d partitions", md, partitions)
				}
				return err
			})
		})
		scenario(t, clientSarama, "produce"+v.suffix, func(t *testing.T) {
			produced = saramaProduce(t, cfg, topic, "value", n)
			if len(produced) != partitions {
				t.Fatalf("hash partitioner used %d partitions, want %d", len(produced), partitions)
			}
		})
		scenario(t, clientSarama, "consume by assignment"+v.suffix, func(t *testing.T) {
			if produced == nil {
				t.Fatal("nothing produced")
			}
			for p, want := range produced {
				equalLines(t, fmt.Sprintf("partition %d", p), saramaConsume(t, cfg, topic, p, len(want)), want)
			}
		})
	}

	scenario(t, clientSarama, "produce idempotent", func(t *testing.T) {
		cfg := saramaConfig(sarama.V4_1_0_0)
		cfg.Producer.Idempotent = true
		cfg.Net.MaxOpenRequests = 1
		topic := topicName(t)
		createTopic(t, scenarioContext(t), topic, 1)
		produced := saramaProduce(t, cfg, topic, "i", n)
		equalLines(t, "partition 0", saramaConsume(t, cfg, topic, 0, n), produced[0])
		if r := readPartitions(t, scenarioContext(t), topic, 1, n)[0]; r.ProducerID < 0 {
			t.Fatalf("idempotent batch stored with producer id %d", r.ProducerID)
		}
	})

	for _, c := range []struct {
		codec sarama.CompressionCodec
		want  uint8
	}{{sarama.CompressionGZIP, codecGzip}, {sarama.CompressionSnappy, codecSnappy}, {sarama.CompressionLZ4, codecLz4}, {sarama.CompressionZSTD, codecZstd}} {
		scenario(t, clientSarama, "compression "+c.codec.String(), func(t *testing.T) {
			cfg := saramaConfig(sarama.DefaultVersion)
			cfg.Producer.Compression = c.codec
			cfg.Producer.Flush.Messages = n // one batch, so it is worth compressing
			topic := topicName(t)
			createTopic(t, scenarioContext(t), topic, 1)
			produced := saramaProduce(t, cfg, topic, compressible, n)
			equalLines(t, "partition 0", saramaConsume(t, cfg, topic, 0, n), produced[0])
			requireCodec(t, readPartitions(t, scenarioContext(t), topic, 1, n), c.want)
		})
	}
}
