package broker

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/record"
)

// startBroker runs a real broker on a free loopback port with its data in
// dir. Extra overrides are Kafka config key=value pairs.
func startBroker(t *testing.T, dir string, overrides ...string) (*Broker, string) {
	t.Helper()
	cfg, err := config.Load("", append([]string{"log.dirs=" + dir, "listeners=PLAINTEXT://127.0.0.1:0", "admin.listener=127.0.0.1:0"}, overrides...))
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	b, err := New(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return b, b.Addr("PLAINTEXT").String()
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimSpace(p)))
	return len(p), nil
}

func newClient(t *testing.T, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func produceN(t *testing.T, cl *kgo.Client, topic string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var recs []*kgo.Record
	for i := 0; i < n; i++ {
		recs = append(recs, &kgo.Record{Topic: topic, Key: []byte(fmt.Sprint(i % 7)), Value: []byte(fmt.Sprintf("v%06d", i))})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// consumeAll reads every partition of topic from the start until n records
// have arrived, and returns values per partition in offset order.
func consumeAll(t *testing.T, addr, topic string, n int) map[int32][]string {
	t.Helper()
	cl := newClient(t, addr, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got := map[int32][]string{}
	seen := 0
	for seen < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of %d: %v", seen, n, err)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetch %s/%d: %v", topic, p, err) })
		fs.EachRecord(func(r *kgo.Record) {
			if want := int64(len(got[r.Partition])); r.Offset != want {
				t.Fatalf("partition %d: offset %d, want %d", r.Partition, r.Offset, want)
			}
			got[r.Partition] = append(got[r.Partition], string(r.Value))
			seen++
		})
	}
	return got
}

func TestProduceConsumeAndRestart(t *testing.T) {
	dir := t.TempDir()
	b, addr := startBroker(t, dir, "num.partitions=3")
	cl := newClient(t, addr, kgo.AllowAutoTopicCreation())
	produceN(t, cl, "orders", 3000) // auto-created with num.partitions=3
	first := consumeAll(t, addr, "orders", 3000)
	if len(first) != 3 {
		t.Fatalf("records in %d partitions, want 3", len(first))
	}
	cl.Close()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	b2, addr2 := startBroker(t, dir)
	defer b2.Close()
	again := consumeAll(t, addr2, "orders", 3000)
	for p, vals := range first {
		if len(again[p]) != len(vals) {
			t.Fatalf("partition %d: %d records after restart, want %d", p, len(again[p]), len(vals))
		}
		for i := range vals {
			if again[p][i] != vals[i] {
				t.Fatalf("partition %d offset %d: %q after restart, want %q", p, i, again[p][i], vals[i])
			}
		}
	}
}

func TestAdminTopics(t *testing.T) {
	b, addr := startBroker(t, t.TempDir(), "auto.create.topics.enable=false")
	defer b.Close()
	adm := kadm.NewClient(newClient(t, addr))
	ctx := context.Background()

	res, err := adm.CreateTopics(ctx, 4, 1, map[string]*string{"retention.ms": kadm.StringPtr("60000")}, "a")
	if err != nil || res["a"].Err != nil {
		t.Fatalf("create: %v %v", err, res["a"].Err)
	}
	if res, _ := adm.CreateTopics(ctx, 1, 1, nil, "a"); res["a"].Err != kerr.TopicAlreadyExists {
		t.Fatalf("duplicate create: %v", res["a"].Err)
	}
	if res, _ := adm.CreateTopics(ctx, 1, 3, nil, "rf3"); res["rf3"].Err != kerr.InvalidReplicationFactor {
		t.Fatalf("rf 3 on one broker: %v", res["rf3"].Err)
	}
	if res, _ := adm.CreateTopics(ctx, 1, 1, map[string]*string{"retention.ms": kadm.StringPtr("soon")}, "badcfg"); res["badcfg"].Err != kerr.InvalidConfig {
		t.Fatalf("bad config: %v", res["badcfg"].Err)
	}
	if _, err := adm.CreatePartitions(ctx, 2, "a"); err != nil {
		t.Fatal(err)
	}
	td, err := adm.ListTopics(ctx, "a")
	if err != nil || len(td["a"].Partitions) != 6 {
		t.Fatalf("after adding 2 partitions: %v %d", err, len(td["a"].Partitions))
	}
	rc, err := adm.DescribeTopicConfigs(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	c, err := rc.On("a", nil)
	if err != nil {
		t.Fatal(err)
	}
	var retention string
	for _, kv := range c.Configs {
		if kv.Key == "retention.ms" {
			retention = kv.MaybeValue()
		}
	}
	if retention != "60000" {
		t.Fatalf("retention.ms = %q, want 60000", retention)
	}
	if _, err := adm.DeleteTopics(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if td, _ := adm.ListTopics(ctx); td.Has("a") {
		t.Fatal("topic still listed after delete")
	}
	// auto.create.topics.enable=false: metadata for a missing topic is an error.
	td, _ = adm.ListTopics(ctx, "missing")
	if td["missing"].Err != kerr.UnknownTopicOrPartition {
		t.Fatalf("missing topic: %v", td["missing"].Err)
	}
}

func TestListOffsetsAndTimestamps(t *testing.T) {
	b, addr := startBroker(t, t.TempDir())
	defer b.Close()
	cl := newClient(t, addr, kgo.AllowAutoTopicCreation())
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		r := &kgo.Record{Topic: "ts", Value: []byte{byte(i)}, Timestamp: base.Add(time.Duration(i) * time.Minute)}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	adm := kadm.NewClient(cl)
	end, err := adm.ListEndOffsets(ctx, "ts")
	if err != nil || end["ts"][0].Offset != 10 {
		t.Fatalf("end offset: %v %+v", err, end["ts"][0])
	}
	start, _ := adm.ListStartOffsets(ctx, "ts")
	if start["ts"][0].Offset != 0 {
		t.Fatalf("start offset %d", start["ts"][0].Offset)
	}
	at, err := adm.ListOffsetsAfterMilli(ctx, base.Add(4*time.Minute+time.Second).UnixMilli(), "ts")
	if err != nil || at["ts"][0].Offset != 5 {
		t.Fatalf("offset after minute 4: %v %+v", err, at["ts"][0])
	}
	after, _ := adm.ListOffsetsAfterMilli(ctx, time.Now().Add(time.Hour).UnixMilli(), "ts")
	if after["ts"][0].Offset != 10 {
		t.Fatalf("offset for a future timestamp: %+v (want the end offset)", after["ts"][0])
	}
}

// TestBadInputKeepsServing sends garbage, an oversize frame and a TLS
// ClientHello; each must close only its own connection.
func TestBadInputKeepsServing(t *testing.T) {
	b, addr := startBroker(t, t.TempDir(), "socket.request.max.bytes=1048576")
	defer b.Close()
	for name, payload := range map[string][]byte{
		"tls client hello": {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03},
		"oversize frame":   {0x00, 0x20, 0x00, 0x00, 1, 2, 3},
		"unknown api key":  {0, 0, 0, 10, 0x7f, 0x00, 0, 0, 0, 0, 0, 1, 0, 0},
		"garbage body":     append([]byte{0, 0, 0, 14, 0, 3, 0, 9, 0, 0, 0, 1, 0, 0}, 0xff, 0xff, 0xff, 0xff),
	} {
		t.Run(name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Write(payload)
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if n, err := c.Read(make([]byte, 1)); err == nil {
				t.Fatalf("broker answered %d bytes instead of closing", n)
			} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("broker neither answered nor closed the connection")
			}
		})
	}
	// The broker still serves a well-behaved client.
	cl := newClient(t, addr)
	if err := cl.Ping(context.Background()); err != nil {
		t.Fatalf("broker unusable after bad input: %v", err)
	}
}

func TestProduceErrors(t *testing.T) {
	b, addr := startBroker(t, t.TempDir(), "message.max.bytes=2000")
	defer b.Close()
	cl := newClient(t, addr, kgo.AllowAutoTopicCreation(), kgo.ProducerBatchMaxBytes(1<<20), kgo.RecordRetries(0), kgo.DisableIdempotentWrite(),
		kgo.ProducerBatchCompression(kgo.NoCompression()))
	err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: "big", Value: bytes.Repeat([]byte{'x'}, 5000)}).FirstErr()
	if !errors.Is(err, kerr.MessageTooLarge) {
		t.Fatalf("5000-byte record with message.max.bytes=2000: %v", err)
	}

	// Produce v2 is advertised (for librdkafka) but refused.
	req := kmsg.NewPtrProduceRequest()
	req.SetVersion(2)
	req.Acks = 1
	tp := kmsg.NewProduceRequestTopic()
	tp.Topic = "big"
	tp.Partitions = append(tp.Partitions, kmsg.NewProduceRequestTopicPartition())
	req.Topics = append(req.Topics, tp)
	resp := rawRequest(t, addr, req).(*kmsg.ProduceResponse)
	if code := resp.Topics[0].Partitions[0].ErrorCode; code != kerr.UnsupportedVersion.Code {
		t.Fatalf("produce v2: error %d, want UNSUPPORTED_VERSION", code)
	}
}

// rawRequest sends one request at exactly its set version over a new
// connection and decodes the response: for versions a client would not
// choose by itself.
func rawRequest(t *testing.T, addr string, req kmsg.Request) kmsg.Response {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	frame := kbin.AppendInt16([]byte{0, 0, 0, 0}, req.Key())
	frame = kbin.AppendInt16(frame, req.GetVersion())
	frame = kbin.AppendInt32(frame, 1)
	frame = kbin.AppendNullableString(frame, nil)
	if req.IsFlexible() {
		frame = append(frame, 0)
	}
	frame = req.AppendTo(frame)
	binary.BigEndian.PutUint32(frame, uint32(len(frame)-4))
	if _, err := c.Write(frame); err != nil {
		t.Fatal(err)
	}
	var size [4]byte
	if _, err := io.ReadFull(c, size[:]); err != nil {
		t.Fatalf("reading response: %v", err)
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(c, body); err != nil {
		t.Fatal(err)
	}
	resp := req.ResponseKind()
	skip := 4
	if resp.IsFlexible() && req.Key() != 18 {
		skip++
	}
	if err := resp.ReadFrom(body[skip:]); err != nil {
		t.Fatalf("decoding response: %v", err)
	}
	return resp
}

// TestEmptyFetchHasNonNullRecordSet: librdkafka refuses a Fetch response
// whose record set is null ("invalid MessageSetSize -1"), so an empty
// partition must come back with a zero-length, non-null one.
func TestEmptyFetchHasNonNullRecordSet(t *testing.T) {
	b, addr := startBroker(t, t.TempDir())
	defer b.Close()
	adm := kadm.NewClient(newClient(t, addr))
	if _, err := adm.CreateTopics(context.Background(), 1, 1, nil, "empty"); err != nil {
		t.Fatal(err)
	}
	for _, v := range []int16{4, 11, 12} {
		req := kmsg.NewPtrFetchRequest()
		req.SetVersion(v)
		req.ReplicaID, req.MaxBytes, req.SessionEpoch = -1, 1<<20, -1
		tp := kmsg.NewFetchRequestTopic()
		tp.Topic = "empty"
		p := kmsg.NewFetchRequestTopicPartition()
		p.PartitionMaxBytes, p.CurrentLeaderEpoch, p.LastFetchedEpoch = 1<<20, -1, -1
		tp.Partitions = append(tp.Partitions, p)
		req.Topics = append(req.Topics, tp)
		resp := rawRequest(t, addr, req).(*kmsg.FetchResponse)
		got := resp.Topics[0].Partitions[0]
		if got.ErrorCode != 0 || got.RecordBatches == nil {
			t.Fatalf("fetch v%d: error %d, record set nil=%v", v, got.ErrorCode, got.RecordBatches == nil)
		}
	}
}

// TestProduceBadBatchesArePerPartition sends, in one Produce request, a
// good batch, a batch with a flipped CRC byte, a batch to a partition that
// does not exist, and garbage bytes: each partition gets its own Kafka
// error, only the good batch is stored, and the connection stays usable.
func TestProduceBadBatchesArePerPartition(t *testing.T) {
	b, addr := startBroker(t, t.TempDir())
	defer b.Close()
	adm := kadm.NewClient(newClient(t, addr))
	if _, err := adm.CreateTopics(context.Background(), 3, 1, nil, "bad"); err != nil {
		t.Fatal(err)
	}
	good := buildBatch(t, "good")
	corrupt := buildBatch(t, "corrupt")
	corrupt[len(corrupt)-1] ^= 0xff // last value byte: covered by the CRC
	req := kmsg.NewPtrProduceRequest()
	req.SetVersion(9)
	req.Acks, req.TimeoutMillis = -1, 5000
	tp := kmsg.NewProduceRequestTopic()
	tp.Topic = "bad"
	for i, recs := range [][]byte{good, corrupt, {1, 2, 3}, good} {
		p := kmsg.NewProduceRequestTopicPartition()
		p.Partition, p.Records = int32(i), recs
		tp.Partitions = append(tp.Partitions, p)
	}
	req.Topics = append(req.Topics, tp)
	resp := rawRequest(t, addr, req).(*kmsg.ProduceResponse)
	want := []int16{0, kerr.CorruptMessage.Code, kerr.CorruptMessage.Code, kerr.UnknownTopicOrPartition.Code}
	for i, p := range resp.Topics[0].Partitions {
		if p.ErrorCode != want[i] {
			t.Errorf("partition %d: error %d, want %d", p.Partition, p.ErrorCode, want[i])
		}
	}
	end, err := adm.ListEndOffsets(context.Background(), "bad")
	if err != nil {
		t.Fatal(err)
	}
	for p, wantEnd := range map[int32]int64{0: 1, 1: 0, 2: 0} {
		if got := end["bad"][p].Offset; got != wantEnd {
			t.Errorf("partition %d end offset %d, want %d", p, got, wantEnd)
		}
	}
}

// buildBatch encodes one uncompressed RecordBatch v2 holding one record,
// as a client would send it.
func buildBatch(t *testing.T, value string) []byte {
	t.Helper()
	raw, err := record.Build(nil, record.BatchSpec{
		BaseTimestamp: time.Now().UnixMilli(), ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1,
		Records: []record.NewRecord{{Value: []byte(value)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
