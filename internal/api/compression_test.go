package api_test

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/record"
)

// storedBatches fetches partition 0 of topic with a raw Fetch and returns
// the headers of the batches as the broker stores them.
func storedBatches(t *testing.T, adm *kadm.Client, cl *kgo.Client, topic string) []record.Header {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tds, err := adm.ListTopics(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID, req.MaxWaitMillis, req.MinBytes, req.MaxBytes = -1, 100, 1, 64<<20
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic, rt.TopicID = topic, tds[topic].ID
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.Partition, rp.FetchOffset, rp.PartitionMaxBytes, rp.LogStartOffset, rp.CurrentLeaderEpoch = 0, 0, 64<<20, -1, -1
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		t.Fatalf("fetch response %+v", resp)
	}
	p := resp.Topics[0].Partitions[0]
	if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
		t.Fatal(err)
	}
	var hs []record.Header
	it := record.Iter{Buf: p.RecordBatches}
	for it.Next() {
		if _, err := record.Validate(it.Batch, record.Limits{}); err != nil {
			t.Fatalf("stored batch at %d: %v", it.Header.BaseOffset, err)
		}
		hs = append(hs, it.Header)
	}
	if it.Err != nil {
		t.Fatal(it.Err)
	}
	return hs
}

// A topic's compression.type re-encodes what real clients produce: the
// stored batches carry the topic's codec, consumers read the same records,
// and timestamp lookups work under both timestamp types.
func TestTopicCompressionType(t *testing.T) {
	adm, _, addr := startWith(t)
	ctx := context.Background()
	base := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	tests := []struct {
		topicCodec string
		producer   kgo.CompressionCodec
		want       record.Compression
		appendTime bool
	}{
		{"zstd", kgo.NoCompression(), record.CompressionZstd, false},
		{"uncompressed", kgo.SnappyCompression(), record.CompressionNone, false},
		{"gzip", kgo.Lz4Compression(), record.CompressionGzip, true},
		{"producer", kgo.ZstdCompression(), record.CompressionZstd, false},
	}
	for _, tc := range tests {
		t.Run(tc.topicCodec, func(t *testing.T) {
			topic := "compression-" + tc.topicCodec
			cfg := map[string]*string{"compression.type": str(tc.topicCodec)}
			if tc.appendTime {
				cfg["message.timestamp.type"] = str("LogAppendTime")
			}
			if _, err := adm.CreateTopic(ctx, 1, 1, cfg, topic); err != nil {
				t.Fatal(err)
			}
			// Idempotent by default: sequence numbers ride through.
			cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic),
				kgo.ProducerBatchCompression(tc.producer), kgo.ProducerLinger(5*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			var recs []*kgo.Record
			for i := range 300 {
				recs = append(recs, &kgo.Record{Key: []byte(fmt.Sprintf("key-%d", i)), Value: []byte(strings.Repeat(fmt.Sprint(i), 50)),
					Headers: []kgo.RecordHeader{{Key: "i", Value: []byte(fmt.Sprint(i))}}, Timestamp: base.Add(time.Duration(i) * time.Second)})
			}
			before := time.Now().UnixMilli()
			if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
				t.Fatal(err)
			}
			hs := storedBatches(t, adm, cl, topic)
			for _, h := range hs {
				if h.Compression() != tc.want || h.IsLogAppendTime() != tc.appendTime || h.ProducerID < 0 {
					t.Fatalf("stored batch at %d: codec %v, LogAppendTime %v, producer %d", h.BaseOffset, h.Compression(), h.IsLogAppendTime(), h.ProducerID)
				}
			}
			got := consumeAll(t, adm, addr, topic)
			if len(got) != len(recs) {
				t.Fatalf("consumed %d of %d records", len(got), len(recs))
			}
			for i, r := range got {
				w := recs[i]
				if string(r.Key) != string(w.Key) || string(r.Value) != string(w.Value) || len(r.Headers) != 1 ||
					string(r.Headers[0].Value) != fmt.Sprint(i) || r.Offset != int64(i) {
					t.Fatalf("record %d: %q=%q at %d", i, r.Key, r.Value, r.Offset)
				}
				if tc.appendTime != (r.Attrs.TimestampType() == 1) {
					t.Fatalf("record %d timestamp type %d", i, r.Attrs.TimestampType())
				}
				if !tc.appendTime && !r.Timestamp.Equal(w.Timestamp) {
					t.Fatalf("record %d timestamp %v, produced %v", i, r.Timestamp, w.Timestamp)
				}
				if tc.appendTime && r.Timestamp.UnixMilli() < before {
					t.Fatalf("record %d: LogAppendTime %v before the produce", i, r.Timestamp)
				}
			}
			// ListOffsets by timestamp (time index + batch scan).
			q, want := base.Add(123*time.Second).UnixMilli(), int64(123)
			if tc.appendTime {
				q, want = before, 0
			}
			lo, err := adm.ListOffsetsAfterMilli(ctx, q, topic)
			if err != nil {
				t.Fatal(err)
			}
			if o, _ := lo.Lookup(topic, 0); o.Err != nil || o.Offset != want {
				t.Fatalf("ListOffsets(%d) = %+v, want offset %d", q, o, want)
			}
		})
	}
}

// kcat (librdkafka) producing gzip into a compression.type=lz4 topic.
func TestTopicCompressionTypeKcat(t *testing.T) {
	if _, err := exec.LookPath("kcat"); err != nil {
		t.Skip("kcat not installed")
	}
	adm, cl, addr := startWith(t)
	ctx := context.Background()
	const topic = "kcat-gzip-into-lz4"
	if _, err := adm.CreateTopic(ctx, 1, 1, map[string]*string{"compression.type": str("lz4")}, topic); err != nil {
		t.Fatal(err)
	}
	lines := []string{"alpha alpha alpha", "beta beta beta", "gamma gamma gamma"}
	cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(cctx, "kcat", "-b", addr, "-P", "-t", topic, "-p", "0", "-z", "gzip",
		"-X", "message.timeout.ms=20000", "-X", "linger.ms=50")
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kcat: %v\n%s", err, out)
	}
	for _, h := range storedBatches(t, adm, cl, topic) {
		if h.Compression() != record.CompressionLZ4 {
			t.Fatalf("stored batch at %d is %v", h.BaseOffset, h.Compression())
		}
	}
	got := consumeAll(t, adm, addr, topic)
	if len(got) != len(lines) {
		t.Fatalf("consumed %d records", len(got))
	}
	for i, r := range got {
		if string(r.Value) != lines[i] {
			t.Fatalf("record %d: %q", i, r.Value)
		}
	}
}

// A CreateTime timestamp outside message.timestamp.before.max.ms /
// after.max.ms is INVALID_TIMESTAMP for the partition; nothing is written.
func TestInvalidTimestamp(t *testing.T) {
	adm, cl, addr := startWith(t)
	ctx := context.Background()
	const topic = "bounded-timestamps"
	cfg := map[string]*string{"message.timestamp.before.max.ms": str("60000"), "message.timestamp.after.max.ms": str("60000")}
	if _, err := adm.CreateTopic(ctx, 1, 1, cfg, topic); err != nil {
		t.Fatal(err)
	}
	for _, ts := range []time.Time{time.Now().Add(-time.Hour), time.Now().Add(time.Hour)} {
		if err := produceSync(t, cl, &kgo.Record{Topic: topic, Value: []byte("x"), Timestamp: ts}); !errors.Is(err, kerr.InvalidTimestamp) {
			t.Fatalf("timestamp %v: %v, want INVALID_TIMESTAMP", ts, err)
		}
	}
	if err := produceSync(t, cl, &kgo.Record{Topic: topic, Value: []byte("now"), Timestamp: time.Now()}); err != nil {
		t.Fatal(err)
	}
	got := consumeAll(t, adm, addr, topic)
	if len(got) != 1 || string(got[0].Value) != "now" || got[0].Offset != 0 {
		t.Fatalf("log holds %d records", len(got))
	}
}
