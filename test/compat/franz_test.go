package compat

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// produceKeyed produces n keyed records (key i, value <prefix>i) to topic with cl and
// returns them as acknowledged, failing t on any error.
func produceKeyed(t *testing.T, cl *kgo.Client, topic, prefix string, n int) []*kgo.Record {
	t.Helper()
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: topic, Key: fmt.Appendf(nil, "key%d", i), Value: fmt.Appendf(nil, "%s%d", prefix, i)}
	}
	if err := cl.ProduceSync(scenarioContext(t), recs...).FirstErr(); err != nil {
		t.Fatalf("ProduceSync to %s: %v", topic, err)
	}
	return recs
}

// sameAsProduced fails t unless got holds exactly the produced records, in produce
// order within each partition, at the offsets the producer was acknowledged.
func sameAsProduced(t *testing.T, produced, got []*kgo.Record) {
	t.Helper()
	want := map[int32][]string{}
	for _, r := range produced {
		want[r.Partition] = append(want[r.Partition], fmt.Sprintf("%d %s=%s", r.Offset, r.Key, r.Value))
	}
	have := map[int32][]string{}
	for _, r := range got {
		have[r.Partition] = append(have[r.Partition], fmt.Sprintf("%d %s=%s", r.Offset, r.Key, r.Value))
	}
	if len(have) != len(want) {
		t.Fatalf("records came from %d partitions, produced to %d", len(have), len(want))
	}
	for p := range want {
		equalLines(t, fmt.Sprintf("partition %d", p), have[p], want[p])
	}
}

func TestFranzGo(t *testing.T) {
	const partitions, n = 3, 60

	var topic string
	var produced []*kgo.Record
	scenario(t, clientFranz, "produce idempotent", func(t *testing.T) {
		topic = topicName(t)
		createTopic(t, scenarioContext(t), topic, partitions)
		produced = produceKeyed(t, newKgo(t), topic, "value", n)
		used := map[int32]bool{}
		for _, r := range produced {
			used[r.Partition] = true
			if r.ProducerID < 0 {
				t.Fatalf("record %s acknowledged without a producer id: InitProducerId not used", r.Key)
			}
		}
		if len(used) != partitions {
			t.Fatalf("%d keyed records landed in %d partitions, want %d", n, len(used), partitions)
		}
	})

	scenario(t, clientFranz, "consume by assignment", func(t *testing.T) {
		if produced == nil {
			t.Fatal("nothing produced")
		}
		sameAsProduced(t, produced, readPartitions(t, scenarioContext(t), topic, partitions, n))
	})

	scenario(t, clientFranz, "consume from offset", func(t *testing.T) {
		topic := topicName(t)
		createTopic(t, scenarioContext(t), topic, 1)
		produced := produceKeyed(t, newKgo(t), topic, "m", 10)
		cl := newKgo(t, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().At(6)}}))
		var got []*kgo.Record
		ctx := scenarioContext(t)
		for len(got) < 4 && ctx.Err() == nil {
			got = append(got, cl.PollFetches(ctx).Records()...)
		}
		sameAsProduced(t, produced[6:], got)
	})

	scenario(t, clientFranz, "headers", func(t *testing.T) {
		topic := topicName(t)
		createTopic(t, scenarioContext(t), topic, 1)
		hs := []kgo.RecordHeader{{Key: "h1", Value: []byte("one")}, {Key: "h2", Value: nil}, {Key: "h1", Value: []byte("again")}}
		r := &kgo.Record{Topic: topic, Value: []byte("v"), Headers: hs}
		if err := newKgo(t).ProduceSync(scenarioContext(t), r).FirstErr(); err != nil {
			t.Fatal(err)
		}
		got := readPartitions(t, scenarioContext(t), topic, 1, 1)[0].Headers
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", hs) {
			t.Fatalf("headers = %q, want %q (order, duplicates and null values kept)", got, hs)
		}
	})

	for _, c := range []struct {
		name  string
		codec kgo.CompressionCodec
		want  uint8
	}{
		{"gzip", kgo.GzipCompression(), codecGzip},
		{"snappy", kgo.SnappyCompression(), codecSnappy},
		{"lz4", kgo.Lz4Compression(), codecLz4},
		{"zstd", kgo.ZstdCompression(), codecZstd},
	} {
		scenario(t, clientFranz, "compression "+c.name, func(t *testing.T) {
			topic := topicName(t)
			createTopic(t, scenarioContext(t), topic, 1)
			cl := newKgo(t, kgo.ProducerBatchCompression(c.codec), kgo.ProducerLinger(0))
			produced := produceKeyed(t, cl, topic, compressible, 50)
			got := readPartitions(t, scenarioContext(t), topic, 1, 50)
			sameAsProduced(t, produced, got)
			requireCodec(t, got, c.want)
		})
	}

	franzAdmin(t)
}

// franzAdmin runs the kadm scenarios.
func franzAdmin(t *testing.T) {
	topic := fmt.Sprintf("compat-kadm-%s", topicName(t)[len("compat-"):])

	scenario(t, clientFranz, "create topics", func(t *testing.T) {
		adm := kadm.NewClient(newKgo(t))
		ctx := scenarioContext(t)
		retention := "123456789"
		resp, err := adm.CreateTopics(ctx, 2, 1, map[string]*string{"retention.ms": &retention}, topic)
		if err == nil {
			err = resp.Error()
		}
		if err != nil {
			t.Fatalf("CreateTopics: %v", err)
		}
		waitFor(t, 20*time.Second, func() error { return topicHasPartitions(ctx, adm, topic, 2) })
	})

	scenario(t, clientFranz, "metadata", func(t *testing.T) {
		md, err := kadm.NewClient(newKgo(t)).Metadata(scenarioContext(t), topic)
		if err != nil {
			t.Fatal(err)
		}
		if len(md.Brokers) != 1 || fmt.Sprintf("%s:%d", md.Brokers[0].Host, md.Brokers[0].Port) != brokerAddr {
			t.Fatalf("brokers = %+v, want one advertised as %s", md.Brokers, brokerAddr)
		}
		if md.Controller != md.Brokers[0].NodeID {
			t.Fatalf("controller = %d, want %d", md.Controller, md.Brokers[0].NodeID)
		}
		td := md.Topics[topic]
		if td.Err != nil || len(td.Partitions) != 2 || td.ID == (kadm.TopicID{}) {
			t.Fatalf("topic = %+v, want 2 partitions, a topic id and no error", td)
		}
		for _, p := range td.Partitions {
			if p.Err != nil || p.Leader != md.Brokers[0].NodeID || len(p.ISR) != 1 {
				t.Fatalf("partition %+v, want led by %d with ISR of 1", p, md.Brokers[0].NodeID)
			}
		}
	})

	scenario(t, clientFranz, "describe configs", func(t *testing.T) {
		rcs, err := kadm.NewClient(newKgo(t)).DescribeTopicConfigs(scenarioContext(t), topic)
		if err != nil {
			t.Fatal(err)
		}
		rc, err := rcs.On(topic, nil)
		if err != nil {
			t.Fatalf("DescribeConfigs %s: %v", topic, err)
		}
		got := map[string]string{}
		for _, c := range rc.Configs {
			got[c.Key] = c.MaybeValue()
		}
		if got["retention.ms"] != "123456789" || got["cleanup.policy"] != "delete" {
			t.Fatalf("retention.ms=%q cleanup.policy=%q, want 123456789 (set at creation) and delete (default)",
				got["retention.ms"], got["cleanup.policy"])
		}
	})

	franzAdminOffsets(t, topic)

	scenario(t, clientFranz, "create partitions", func(t *testing.T) {
		adm := kadm.NewClient(newKgo(t))
		ctx := scenarioContext(t)
		resp, err := adm.CreatePartitions(ctx, 3, topic)
		if err == nil {
			err = resp.Error()
		}
		if err != nil {
			t.Fatalf("CreatePartitions +3: %v", err)
		}
		waitFor(t, 20*time.Second, func() error { return topicHasPartitions(ctx, adm, topic, 5) })
	})

	scenario(t, clientFranz, "delete topics", func(t *testing.T) {
		adm := kadm.NewClient(newKgo(t))
		ctx := scenarioContext(t)
		resp, err := adm.DeleteTopics(ctx, topic)
		if err == nil {
			err = resp.Error()
		}
		if err != nil {
			t.Fatalf("DeleteTopics: %v", err)
		}
		waitFor(t, 20*time.Second, func() error {
			tds, err := adm.ListTopics(ctx)
			if err == nil && tds.Has(topic) {
				err = fmt.Errorf("%s still listed", topic)
			}
			return err
		})
	})
}

func topicHasPartitions(ctx context.Context, adm *kadm.Client, topic string, n int) error {
	tds, err := adm.ListTopics(ctx, topic)
	if err != nil {
		return err
	}
	if err := tds.Error(); err != nil {
		return err
	}
	if got := len(tds[topic].Partitions); got != n {
		return fmt.Errorf("%s has %d partitions, want %d", topic, got, n)
	}
	return nil
}
