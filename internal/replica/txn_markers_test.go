package replica_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/record"
	"github.com/strom-project/strom/internal/testutil"
	"github.com/strom-project/strom/internal/wire"
)

// writeMarker sends WriteTxnMarkers for partition 0 of topicName to cl's
// node and returns the partition's error.
func writeMarker(t *testing.T, cl *wire.Client, topicName string, pid int64, epoch int16, commit bool) error {
	t.Helper()
	req := kmsg.NewPtrWriteTxnMarkersRequest()
	req.Version = 1
	m := kmsg.NewWriteTxnMarkersRequestMarker()
	m.ProducerID, m.ProducerEpoch, m.Committed = pid, epoch, commit
	mt := kmsg.NewWriteTxnMarkersRequestMarkerTopic()
	mt.Topic, mt.Partitions = topicName, []int32{0}
	m.Topics = append(m.Topics, mt)
	req.Markers = append(req.Markers, m)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	resp, err := cl.Do(ctx, req)
	if err != nil {
		t.Fatalf("WriteTxnMarkers: %v", err)
	}
	return kerr.ErrorForCode(resp.(*kmsg.WriteTxnMarkersResponse).Markers[0].Topics[0].Partitions[0].ErrorCode)
}

// produceTxn writes one transactional batch of n records (acks=all).
func produceTxn(t *testing.T, cl *wire.Client, pid int64, epoch int16, seq int32, n int) {
	t.Helper()
	recs := make([]record.NewRecord, n)
	for i := range recs {
		recs[i] = record.NewRecord{Value: []byte(fmt.Sprintf("txn-%d", i))}
	}
	b, err := record.Build(nil, record.BatchSpec{Transactional: true, BaseTimestamp: time.Now().UnixMilli(),
		ProducerID: pid, ProducerEpoch: epoch, BaseSequence: seq, Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	req := kmsg.NewPtrProduceRequest()
	req.Version, req.Acks, req.TimeoutMillis = 9, -1, 10000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = b
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := cl.Do(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if c := resp.(*kmsg.ProduceResponse).Topics[0].Partitions[0].ErrorCode; c != 0 {
		t.Fatalf("transactional produce: %v", kerr.ErrorForCode(c))
	}
}

// TestTxnMarkersReplicated: WriteTxnMarkers answers only once every
// in-sync follower has the marker; followers then hold the same open
// transactions and aborted-transaction index as the leader, and the LSO,
// held at the transaction's start while it was open, reaches the HW.
func TestTxnMarkersReplicated(t *testing.T) {
	c := newCluster(t, "replica.fetch.wait.max.ms=200", "replica.fetch.backoff.ms=50")
	for id := int32(1); id <= 3; id++ {
		c.start(id)
	}
	c.setPartition(1, []int32{1, 2, 3}, []int32{1, 2, 3}, map[string]string{"min.insync.replicas": "2"})
	cl := client(t, c.node(1))
	mustProduce(t, cl, -1, 2)        // 0-1
	produceTxn(t, cl, 1000, 0, 0, 3) // 2-4
	mustProduce(t, cl, -1, 1)        // 5
	leader := c.log(1)
	if hw, lso := leader.HighWatermark(), leader.LastStableOffset(); hw != 6 || lso != 2 {
		t.Fatalf("open transaction: HW %d LSO %d, want 6 and 2", hw, lso)
	}
	if f := consumerFetchCommitted(t, cl, 0); f.LastStableOffset != 2 || f.HighWatermark != 6 {
		t.Fatalf("fetch LSO %d HW %d", f.LastStableOffset, f.HighWatermark)
	}

	// Markers go to the leader only, and a stale epoch is refused.
	if err := writeMarker(t, client(t, c.node(2)), topic, 1000, 0, false); err != kerr.NotLeaderForPartition {
		t.Fatalf("marker to a follower: %v", err)
	}
	if err := writeMarker(t, cl, "nope", 1000, 0, false); err != kerr.UnknownTopicOrPartition {
		t.Fatalf("marker to an unknown topic: %v", err)
	}
	if err := writeMarker(t, cl, topic, 1000, 0, false); err != nil {
		t.Fatalf("abort: %v", err)
	}
	for _, id := range []int32{2, 3} {
		if leo := c.log(id).LogEndOffset(); leo < 7 {
			t.Fatalf("marker acknowledged while node %d's log ends at %d", id, leo)
		}
	}
	if lso := leader.LastStableOffset(); lso != 7 {
		t.Fatalf("LSO after the abort %d, want 7", lso)
	}
	for _, id := range []int32{2, 3} {
		l := c.log(id)
		testutil.WaitFor(t, waitLimit, func() error {
			a, err := l.AbortedTransactions(0, 7)
			if err != nil || len(a) != 1 || a[0].ProducerID != 1000 || a[0].FirstOffset != 2 || l.FirstUnstableOffset() != -1 {
				return fmt.Errorf("node %d: aborted %+v %v, first unstable %d", id, a, err, l.FirstUnstableOffset())
			}
			return nil
		})
	}
	if f := consumerFetchCommitted(t, cl, 0); len(f.AbortedTransactions) != 1 || f.LastStableOffset != 7 {
		t.Fatalf("read_committed fetch: LSO %d aborted %+v", f.LastStableOffset, f.AbortedTransactions)
	}
	if err := writeMarker(t, cl, topic, 1000, -1, true); err != kerr.InvalidProducerEpoch {
		t.Fatalf("marker with an older producer epoch: %v", err)
	}
}

// consumerFetchCommitted fetches from offset with isolation_level=1.
func consumerFetchCommitted(t *testing.T, cl *wire.Client, offset int64) kmsg.FetchResponseTopicPartition {
	t.Helper()
	req := kmsg.NewPtrFetchRequest()
	req.Version, req.ReplicaID, req.IsolationLevel, req.MaxBytes = 12, -1, 1, 1<<20
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.FetchOffset, rp.PartitionMaxBytes, rp.CurrentLeaderEpoch = offset, 1<<20, -1
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := cl.Do(context.Background(), req)
	if err != nil {
		t.Fatalf("fetch: %v", err)
	}
	p := resp.(*kmsg.FetchResponse).Topics[0].Partitions[0]
	if p.ErrorCode != 0 {
		t.Fatalf("fetch: %v", kerr.ErrorForCode(p.ErrorCode))
	}
	return p
}
