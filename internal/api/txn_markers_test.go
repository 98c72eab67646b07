package api_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/record"
	"github.com/strom-project/strom/internal/testutil"
)

// Transactions on the partition side, through a real broker: transactional
// batches hold back the LSO; read_committed consumers see nothing of an open
// transaction, then exactly the committed records once the coordinator's
// WriteTxnMarkers commits one partition and aborts the other, while
// read_uncommitted consumers saw everything all along.
func TestTransactionalReadCommitted(t *testing.T) {
	adm, cl, addr := startWith(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const topic = "txn"
	if _, err := adm.CreateTopic(ctx, 2, 1, nil, topic); err != nil {
		t.Fatal(err)
	}
	td, err := adm.ListTopics(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	topicID := td[topic].ID

	ipReq := kmsg.NewPtrInitProducerIDRequest()
	ipReq.TransactionTimeoutMillis = -1
	ip, err := ipReq.RequestWith(ctx, cl)
	if err != nil || ip.ErrorCode != 0 {
		t.Fatalf("InitProducerId: %v %v", err, kerr.ErrorForCode(ip.ErrorCode))
	}
	pid, epoch := ip.ProducerID, ip.ProducerEpoch

	for p := int32(0); p < 2; p++ {
		produceTxn(ctx, t, cl, topic, topicID, p, pid, epoch, fmt.Sprintf("p%d-", p))
	}
	// Nothing is stable yet: LSO 0, HW 3.
	for p := int32(0); p < 2; p++ {
		if lso, hw := listLatest(ctx, t, cl, topic, p, 1), listLatest(ctx, t, cl, topic, p, 0); lso != 0 || hw != 3 {
			t.Fatalf("partition %d: ListOffsets read_committed %d, read_uncommitted %d; want 0 and 3", p, lso, hw)
		}
	}
	f := fetchCommitted(ctx, t, cl, topic, topicID)
	for _, fp := range f {
		if len(fp.RecordBatches) != 0 || fp.LastStableOffset != 0 || fp.HighWatermark != 3 {
			t.Fatalf("read_committed fetch of an open transaction: %d bytes, LSO %d, HW %d", len(fp.RecordBatches), fp.LastStableOffset, fp.HighWatermark)
		}
	}

	wm := kmsg.NewPtrWriteTxnMarkersRequest()
	for p, commit := range []bool{true, false} {
		m := kmsg.NewWriteTxnMarkersRequestMarker()
		m.ProducerID, m.ProducerEpoch, m.Committed = pid, epoch, commit
		mt := kmsg.NewWriteTxnMarkersRequestMarkerTopic()
		mt.Topic, mt.Partitions = topic, []int32{int32(p)}
		m.Topics = append(m.Topics, mt)
		wm.Markers = append(wm.Markers, m)
	}
	wr, err := wm.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range wr.Markers {
		for _, rt := range m.Topics {
			for _, rp := range rt.Partitions {
				if rp.ErrorCode != 0 {
					t.Fatalf("WriteTxnMarkers %s-%d: %v", rt.Topic, rp.Partition, kerr.ErrorForCode(rp.ErrorCode))
				}
			}
		}
	}
	for p := int32(0); p < 2; p++ {
		if lso := listLatest(ctx, t, cl, topic, p, 1); lso != 4 {
			t.Fatalf("partition %d: LSO after the marker %d, want 4", p, lso)
		}
	}
	f = fetchCommitted(ctx, t, cl, topic, topicID)
	if a := f[1].AbortedTransactions; len(a) != 1 || a[0].ProducerID != pid || a[0].FirstOffset != 0 {
		t.Fatalf("aborted transactions of partition 1: %+v", a)
	}
	if a := f[0].AbortedTransactions; len(a) != 0 {
		t.Fatalf("aborted transactions of the committed partition: %+v", a)
	}

	// A sentinel after the abort tells the consumers they have read it all.
	manual, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer manual.Close()
	if err := produceSync(t, manual, &kgo.Record{Topic: topic, Partition: 1, Value: []byte("end")}); err != nil {
		t.Fatal(err)
	}
	got := consumeUntil(ctx, t, addr, topic, kgo.ReadCommitted(), 4)
	if want := "[p0-0 p0-1 p0-2 end]"; fmt.Sprint(got) != want { // end is partition 1's
		t.Fatalf("read_committed saw %v, want %s", got, want)
	}
	got = consumeUntil(ctx, t, addr, topic, kgo.ReadUncommitted(), 7)
	if want := "[p0-0 p0-1 p0-2 p1-0 p1-1 p1-2 end]"; fmt.Sprint(got) != want {
		t.Fatalf("read_uncommitted saw %v, want %s", got, want)
	}
}

// produceTxn writes one transactional batch of three records (acks=all).
func produceTxn(ctx context.Context, t *testing.T, cl *kgo.Client, topic string, id [16]byte, p int32, pid int64, epoch int16, prefix string) {
	t.Helper()
	var recs []record.NewRecord
	for i := range 3 {
		recs = append(recs, record.NewRecord{Value: []byte(fmt.Sprintf("%s%d", prefix, i))})
	}
	batch, err := record.Build(nil, record.BatchSpec{Transactional: true, ProducerID: pid, ProducerEpoch: epoch,
		BaseTimestamp: time.Now().UnixMilli(), Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	req := kmsg.NewPtrProduceRequest()
	req.Acks, req.TimeoutMillis = -1, 10000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic, rt.TopicID = topic, id
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Partition, rp.Records = p, batch
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if c := resp.Topics[0].Partitions[0].ErrorCode; c != 0 {
		t.Fatalf("transactional produce to %d: %v", p, kerr.ErrorForCode(c))
	}
}

// listLatest is ListOffsets LATEST with the given isolation level.
func listLatest(ctx context.Context, t *testing.T, cl *kgo.Client, topic string, p int32, isolation int8) int64 {
	t.Helper()
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID, req.IsolationLevel = -1, isolation
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewListOffsetsRequestTopicPartition()
	rp.Partition, rp.Timestamp, rp.CurrentLeaderEpoch = p, -1, -1
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil || resp.Topics[0].Partitions[0].ErrorCode != 0 {
		t.Fatalf("ListOffsets: %v %+v", err, resp)
	}
	return resp.Topics[0].Partitions[0].Offset
}

// fetchCommitted fetches both partitions from 0 with isolation_level=1.
func fetchCommitted(ctx context.Context, t *testing.T, cl *kgo.Client, topic string, id [16]byte) []kmsg.FetchResponseTopicPartition {
	t.Helper()
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID, req.MaxBytes, req.IsolationLevel, req.SessionEpoch = -1, 1<<20, 1, -1
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic, rt.TopicID = topic, id
	for p := int32(0); p < 2; p++ {
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition, rp.PartitionMaxBytes, rp.CurrentLeaderEpoch = p, 1<<20, -1
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil || resp.ErrorCode != 0 || len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 2 {
		t.Fatalf("Fetch: %v %+v", err, resp)
	}
	parts := resp.Topics[0].Partitions
	for _, p := range parts {
		if p.ErrorCode != 0 {
			t.Fatalf("Fetch partition %d: %v", p.Partition, kerr.ErrorForCode(p.ErrorCode))
		}
	}
	if parts[0].Partition != 0 {
		parts[0], parts[1] = parts[1], parts[0]
	}
	return parts
}

// consumeUntil reads both partitions from the start with isolation until n
// records arrived, returning their values partition by partition.
func consumeUntil(ctx context.Context, t *testing.T, addr, topic string, iso kgo.IsolationLevel, n int) []string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.FetchIsolationLevel(iso),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart(), 1: kgo.NewOffset().AtStart()}}))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	byPart := map[int32][]string{}
	count := 0
	testutil.WaitFor(t, 20*time.Second, func() error {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		fs := cl.PollFetches(pctx)
		fs.EachRecord(func(r *kgo.Record) { byPart[r.Partition] = append(byPart[r.Partition], string(r.Value)); count++ })
		if count < n {
			return fmt.Errorf("%d of %d records", count, n)
		}
		return nil
	})
	return append(byPart[0], byPart[1]...)
}
