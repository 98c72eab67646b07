package broker

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/record"
)

// rawTxn is a transactional producer driven request by request, so a test
// can send what a real client would send late: a batch or an EndTxn of a
// transaction that has ended. It speaks transaction version 2 (Produce
// v13 adds partitions, EndTxn v5 bumps the epoch).
type rawTxn struct {
	t       *testing.T
	ctx     context.Context
	cl      *kgo.Client
	id      string
	topic   string
	topicID [16]byte
	pid     int64
	epoch   int16 // the epoch of InitProducerId
}

func newRawTxn(ctx context.Context, t *testing.T, addr, id, topic string, timeoutMillis int32) *rawTxn {
	t.Helper()
	r := &rawTxn{t: t, ctx: ctx, cl: newClient(t, addr), id: id, topic: topic}
	topics, err := kadm.NewClient(r.cl).ListTopics(ctx, topic)
	if err != nil || topics[topic].Err != nil {
		t.Fatalf("topic %s: %v %v", topic, err, topics[topic].Err)
	}
	r.topicID = topics[topic].ID
	waitFor(t, 10*time.Second, "InitProducerId", func() bool {
		req := kmsg.NewPtrInitProducerIDRequest()
		req.TransactionalID, req.TransactionTimeoutMillis = &id, timeoutMillis
		resp, err := req.RequestWith(ctx, r.cl)
		if err != nil || resp.ErrorCode != 0 {
			return false
		}
		r.pid, r.epoch = resp.ProducerID, resp.ProducerEpoch
		return true
	})
	return r
}

// produce appends one transactional record to partition 0 and returns the
// partition's error.
func (r *rawTxn) produce(epoch int16, seq int32, value string) error {
	r.t.Helper()
	batch, err := record.Build(nil, record.BatchSpec{Transactional: true, ProducerID: r.pid, ProducerEpoch: epoch,
		BaseSequence: seq, Records: []record.NewRecord{{Value: []byte(value)}}})
	if err != nil {
		r.t.Fatal(err)
	}
	req := kmsg.NewPtrProduceRequest()
	req.TransactionID, req.Acks, req.TimeoutMillis = &r.id, -1, 5000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic, rt.TopicID = r.topic, r.topicID
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = batch
	rt.Partitions = []kmsg.ProduceRequestTopicPartition{rp}
	req.Topics = []kmsg.ProduceRequestTopic{rt}
	resp, err := req.RequestWith(r.ctx, r.cl)
	if err != nil {
		r.t.Fatal(err)
	}
	if resp.Version < 12 {
		r.t.Fatalf("Produce v%d: the broker must serve v12+", resp.Version)
	}
	return kerr.ErrorForCode(resp.Topics[0].Partitions[0].ErrorCode)
}

// end sends EndTxn (v5) and returns its answer.
func (r *rawTxn) end(epoch int16, commit bool) (*kmsg.EndTxnResponse, error) {
	r.t.Helper()
	req := kmsg.NewPtrEndTxnRequest()
	req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit = r.id, r.pid, epoch, commit
	resp, err := req.RequestWith(r.ctx, r.cl)
	if err != nil {
		r.t.Fatal(err)
	}
	if resp.Version < 5 {
		r.t.Fatalf("EndTxn v%d: the broker must serve v5", resp.Version)
	}
	return resp, kerr.ErrorForCode(resp.ErrorCode)
}

// endOffset is partition 0's log end offset: every record and marker
// appended, committed or not.
func endOffset(ctx context.Context, t *testing.T, addr, topic string) int64 {
	t.Helper()
	ends, err := kadm.NewClient(newClient(t, addr)).ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	o, _ := ends.Lookup(topic, 0)
	if o.Err != nil {
		t.Fatal(o.Err)
	}
	return o.Offset
}

// TestLateProduceAndEndTxnFencedByEpochBump is KAFKA-17754 under KIP-890
// part 2: a batch and an EndTxn of a finished transaction, arriving after
// the producer's next transaction began, are both refused, because the
// first EndTxn bumped the epoch and its markers carried the new one.
func TestLateProduceAndEndTxnFencedByEpochBump(t *testing.T) {
	b, addr := startBroker(t, t.TempDir(), txnOverrides...)
	defer b.Close()
	createTopic(t, addr, "tx", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adm := kadm.NewClient(newClient(t, addr))
	r := newRawTxn(ctx, t, addr, "late", "tx", 30000)
	e0 := r.epoch

	if err := r.produce(e0, 0, "txn1"); err != nil {
		t.Fatalf("first batch (implicitly adds the partition): %v", err)
	}
	resp, err := r.end(e0, true)
	if err != nil || resp.ProducerID != r.pid || resp.ProducerEpoch != e0+1 {
		t.Fatalf("EndTxn: %+v, %v; want producer %d epoch %d", resp, err, r.pid, e0+1)
	}
	waitFor(t, 10*time.Second, "CompleteCommit", func() bool { return describeTxn(t, adm, "late").State == "CompleteCommit" })
	if again, err := r.end(e0, true); err != nil || again.ProducerEpoch != e0+1 {
		t.Fatalf("retried EndTxn: %+v, %v; want the same answer", again, err)
	}
	if err := r.produce(e0+1, 0, "txn2"); err != nil {
		t.Fatalf("next transaction's batch: %v", err)
	}
	if err := r.produce(e0, 1, "late"); err != kerr.InvalidProducerEpoch {
		t.Fatalf("late batch of the ended transaction: %v, want INVALID_PRODUCER_EPOCH", err)
	}
	if _, err := r.end(e0, true); err != kerr.ProducerFenced {
		t.Fatalf("late EndTxn of the ended transaction: %v, want PRODUCER_FENCED", err)
	}
	if d := describeTxn(t, adm, "late"); d.State != "Ongoing" || d.ProducerEpoch != e0+1 {
		t.Fatalf("the late requests touched the next transaction: %+v", d)
	}
	if _, err := r.end(e0+1, false); err != nil {
		t.Fatalf("aborting the next transaction: %v", err)
	}
	waitFor(t, 10*time.Second, "CompleteAbort", func() bool { return describeTxn(t, adm, "late").State == "CompleteAbort" })
	// txn1, its marker, txn2, its marker: the late batch is nowhere.
	if end := endOffset(ctx, t, addr, "tx"); end != 4 {
		t.Fatalf("log end offset %d, want 4", end)
	}
	if got := readCommitted(t, addr, "tx", 1); got[0] != "txn1" {
		t.Fatalf("read_committed: %v", got)
	}
}

// TestLateEndTxnAfterTakeover is the regression: a transactional
// producer pauses mid-transaction, a new instance with the same
// transactional id takes over (its InitProducerId aborts the paused
// transaction) and begins its own, and then the paused producer resumes
// with its EndTxn(commit) and another batch. Neither may touch the new
// transaction.
func TestLateEndTxnAfterTakeover(t *testing.T) {
	b, addr := startBroker(t, t.TempDir(), txnOverrides...)
	defer b.Close()
	createTopic(t, addr, "tx", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adm := kadm.NewClient(newClient(t, addr))
	paused := newRawTxn(ctx, t, addr, "shared", "tx", 30000)
	if err := paused.produce(paused.epoch, 0, "paused-0"); err != nil {
		t.Fatal(err)
	}

	next := txnProducer(t, addr, "shared", "tx")
	if err := next.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := next.ProduceSync(ctx, kgo.StringRecord("next-0")).FirstErr(); err != nil {
		t.Fatalf("new instance's batch: %v", err)
	}

	if _, err := paused.end(paused.epoch, true); err != kerr.ProducerFenced {
		t.Fatalf("paused producer's EndTxn: %v, want PRODUCER_FENCED", err)
	}
	if err := paused.produce(paused.epoch, 1, "paused-1"); err != kerr.InvalidProducerEpoch {
		t.Fatalf("paused producer's batch: %v, want INVALID_PRODUCER_EPOCH", err)
	}
	if d := describeTxn(t, adm, "shared"); d.State != "Ongoing" {
		t.Fatalf("the new transaction after the late EndTxn: %+v", d)
	}
	if err := next.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatalf("new instance's commit: %v", err)
	}
	if got := readCommitted(t, addr, "tx", 1); got[0] != "next-0" {
		t.Fatalf("read_committed: %v; the paused producer's record was not aborted", got)
	}
	// paused-0, its abort marker, next-0, its commit marker.
	if end := endOffset(ctx, t, addr, "tx"); end != 4 {
		t.Fatalf("log end offset %d, want 4", end)
	}
}

// TestTimedOutProducerFenced: a transaction aborted by
// transaction.timeout.ms fences its producer; its late EndTxn and batch
// are refused, and a new instance works.
func TestTimedOutProducerFenced(t *testing.T) {
	b, addr := startBroker(t, t.TempDir(), append(txnOverrides,
		"transaction.abort.timed.out.transaction.cleanup.interval.ms=100")...)
	defer b.Close()
	createTopic(t, addr, "tx", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adm := kadm.NewClient(newClient(t, addr))
	slow := newRawTxn(ctx, t, addr, "slow", "tx", 500)
	if err := slow.produce(slow.epoch, 0, "slow-0"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the timeout's abort", func() bool { return describeTxn(t, adm, "slow").State == "CompleteAbort" })
	if _, err := slow.end(slow.epoch, true); err != kerr.ProducerFenced {
		t.Fatalf("timed-out producer's EndTxn: %v, want PRODUCER_FENCED", err)
	}
	if err := slow.produce(slow.epoch, 1, "slow-1"); err != kerr.InvalidProducerEpoch {
		t.Fatalf("timed-out producer's batch: %v, want INVALID_PRODUCER_EPOCH", err)
	}
	cl := txnProducer(t, addr, "slow", "tx")
	if err := runTxn(ctx, cl, "fresh", 1, kgo.TryCommit); err != nil {
		t.Fatalf("new instance: %v", err)
	}
	if got := readCommitted(t, addr, "tx", 1); got[0] != "fresh-0" {
		t.Fatalf("read_committed: %v", got)
	}
}

// TestFranzGoBumpsEpochPerTransaction: franz-go sees transaction.version
// 2 finalized and uses KIP-890 part 2, so every transaction it ends moves
// its epoch on by one; read_committed still sees exactly the committed
// records.
func TestFranzGoBumpsEpochPerTransaction(t *testing.T) {
	b, addr := startBroker(t, t.TempDir(), txnOverrides...)
	defer b.Close()
	createTopic(t, addr, "tx", 2)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adm := kadm.NewClient(newClient(t, addr))
	cl := txnProducer(t, addr, "tv2", "tx")
	// franz-go decides on KIP-890 part 2 once it has the brokers'
	// ApiVersions: its first transaction may still be version 1, after
	// which it re-inits its producer id and opts in.
	if err := runTxn(ctx, cl, "c1", 3, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	if err := runTxn(ctx, cl, "a1", 3, kgo.TryAbort); err != nil {
		t.Fatal(err)
	}
	first := describeTxn(t, adm, "tv2").ProducerEpoch
	if err := runTxn(ctx, cl, "c2", 3, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	if err := runTxn(ctx, cl, "a2", 3, kgo.TryAbort); err != nil {
		t.Fatal(err)
	}
	if err := runTxn(ctx, cl, "c3", 3, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "CompleteCommit", func() bool { return describeTxn(t, adm, "tv2").State == "CompleteCommit" })
	if last := describeTxn(t, adm, "tv2").ProducerEpoch; last != first+3 {
		t.Fatalf("epoch after three more transactions: %d, want %d", last, first+3)
	}
	for _, v := range readCommitted(t, addr, "tx", 9) {
		if v[0] != 'c' {
			t.Fatalf("read_committed saw aborted %q", v)
		}
	}
}

// txnOffsetCommit sends TxnOffsetCommit (v5: no AddOffsetsToTxn before it)
// for partition 0 of r's topic.
func (r *rawTxn) txnOffsetCommit(group string, epoch int16, offset int64) error {
	r.t.Helper()
	req := kmsg.NewPtrTxnOffsetCommitRequest()
	req.TransactionalID, req.Group, req.ProducerID, req.ProducerEpoch = r.id, group, r.pid, epoch
	req.Generation = -1
	rt := kmsg.NewTxnOffsetCommitRequestTopic()
	rt.Topic = r.topic
	rp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
	rp.Partition, rp.Offset = 0, offset
	rt.Partitions = []kmsg.TxnOffsetCommitRequestTopicPartition{rp}
	req.Topics = []kmsg.TxnOffsetCommitRequestTopic{rt}
	resp, err := req.RequestWith(r.ctx, r.cl)
	if err != nil {
		r.t.Fatal(err)
	}
	if resp.Version < 5 {
		r.t.Fatalf("TxnOffsetCommit v%d: the broker must serve v5", resp.Version)
	}
	return kerr.ErrorForCode(resp.Topics[0].Partitions[0].ErrorCode)
}

// fetchOffset is OffsetFetch of partition 0 of topic for group.
func fetchOffset(ctx context.Context, t *testing.T, cl *kgo.Client, group, topic string, requireStable bool) (int64, error) {
	t.Helper()
	req := kmsg.NewPtrOffsetFetchRequest()
	req.RequireStable = requireStable
	rg := kmsg.NewOffsetFetchRequestGroup()
	rg.Group = group
	rt := kmsg.NewOffsetFetchRequestGroupTopic()
	rt.Topic, rt.Partitions = topic, []int32{0}
	rg.Topics = []kmsg.OffsetFetchRequestGroupTopic{rt}
	req.Groups = []kmsg.OffsetFetchRequestGroup{rg}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	g := resp.Groups[0]
	if g.ErrorCode != 0 {
		t.Fatalf("OffsetFetch: %v", kerr.ErrorForCode(g.ErrorCode))
	}
	p := g.Topics[0].Partitions[0]
	return p.Offset, kerr.ErrorForCode(p.ErrorCode)
}

// TestTxnOffsetsUnstableUntilCommit: TxnOffsetCommit v5 adds the group's
// offsets partition to the transaction by itself (KIP-890 part 2); until
// the transaction commits, OffsetFetch with require_stable answers
// UNSTABLE_OFFSET_COMMIT and without it shows no offset; a late
// TxnOffsetCommit of the ended transaction is fenced.
func TestTxnOffsetsUnstableUntilCommit(t *testing.T) {
	b, addr := startBroker(t, t.TempDir(), txnOverrides...)
	defer b.Close()
	createTopic(t, addr, "tx", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adm := kadm.NewClient(newClient(t, addr))
	cl := newClient(t, addr)
	r := newRawTxn(ctx, t, addr, "offs", "tx", 30000)
	e0 := r.epoch

	if err := r.txnOffsetCommit("g", e0, 5); err != nil {
		t.Fatalf("TxnOffsetCommit without AddOffsetsToTxn: %v", err)
	}
	if d := describeTxn(t, adm, "offs"); d.State != "Ongoing" || len(d.Topics) != 1 {
		t.Fatalf("the offsets partition did not join the transaction: %+v", d)
	}
	if _, err := fetchOffset(ctx, t, cl, "g", "tx", true); err != kerr.UnstableOffsetCommit {
		t.Fatalf("require_stable while pending: %v, want UNSTABLE_OFFSET_COMMIT", err)
	}
	if off, err := fetchOffset(ctx, t, cl, "g", "tx", false); err != nil || off != -1 {
		t.Fatalf("without require_stable while pending: %d, %v; want -1", off, err)
	}
	if _, err := r.end(e0, true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the committed offset", func() bool {
		off, err := fetchOffset(ctx, t, cl, "g", "tx", true)
		return err == nil && off == 5
	})
	if err := r.txnOffsetCommit("g", e0, 9); err != kerr.InvalidProducerEpoch {
		t.Fatalf("late TxnOffsetCommit of the ended transaction: %v, want INVALID_PRODUCER_EPOCH", err)
	}
}
