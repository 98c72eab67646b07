package broker

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/strom-project/strom/internal/record"
)

// txnOverrides keep transaction tests small.
var txnOverrides = []string{"transaction.state.log.num.partitions=3", "offsets.topic.num.partitions=3", "group.initial.rebalance.delay.ms=0"}

func txnProducer(t *testing.T, addr, id, topic string) *kgo.Client {
	return newClient(t, addr, kgo.TransactionalID(id), kgo.DefaultProduceTopic(topic),
		kgo.TransactionTimeout(30*time.Second), kgo.RecordRetries(3))
}

// runTxn produces n records in one transaction and ends it.
func runTxn(ctx context.Context, cl *kgo.Client, prefix string, n int, commit kgo.TransactionEndTry) error {
	if err := cl.BeginTransaction(); err != nil {
		return err
	}
	for i := range n {
		if err := cl.ProduceSync(ctx, kgo.StringRecord(fmt.Sprintf("%s-%d", prefix, i))).FirstErr(); err != nil {
			return fmt.Errorf("produce: %w", err)
		}
	}
	return cl.EndTransaction(ctx, commit)
}

func describeTxn(t *testing.T, adm *kadm.Client, id string) kadm.DescribedTransaction {
	t.Helper()
	ds, err := adm.DescribeTransactions(context.Background(), id)
	if err != nil {
		t.Fatalf("describe transactions: %v", err)
	}
	d, ok := ds[id]
	if !ok {
		t.Fatalf("transaction %q not described", id)
	}
	return d
}

func TestTransactionCommitAndAbort(t *testing.T) {
	b, addr := startBroker(t, t.TempDir(), txnOverrides...)
	defer b.Close()
	createTopic(t, addr, "tx", 2)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adm := kadm.NewClient(newClient(t, addr))

	// FindCoordinator(transaction) answers with this broker.
	req := kmsg.NewPtrFindCoordinatorRequest()
	req.CoordinatorType, req.CoordinatorKeys = 1, []string{"tx-1"}
	resp, err := req.RequestWith(ctx, newClient(t, addr))
	if err != nil || len(resp.Coordinators) != 1 || resp.Coordinators[0].ErrorCode != 0 {
		t.Fatalf("FindCoordinator(transaction): %+v, %v", resp, err)
	}

	cl := txnProducer(t, addr, "tx-1", "tx")
	if err := runTxn(ctx, cl, "committed", 5, kgo.TryCommit); err != nil {
		t.Fatalf("committed transaction: %v", err)
	}
	waitFor(t, 10*time.Second, "CompleteCommit", func() bool { return describeTxn(t, adm, "tx-1").State == "CompleteCommit" })
	if err := runTxn(ctx, cl, "aborted", 5, kgo.TryAbort); err != nil {
		t.Fatalf("aborted transaction: %v", err)
	}
	waitFor(t, 10*time.Second, "CompleteAbort", func() bool { return describeTxn(t, adm, "tx-1").State == "CompleteAbort" })

	d := describeTxn(t, adm, "tx-1")
	if d.ProducerID < 0 || d.TimeoutMillis != 30000 || len(d.Topics) != 0 {
		t.Fatalf("described %+v", d)
	}
	ls, err := adm.ListTransactions(ctx, nil, []string{"CompleteAbort"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ls["tx-1"]; !ok || len(ls) != 1 {
		t.Fatalf("ListTransactions(CompleteAbort) = %v", ls)
	}
	if ls, _ = adm.ListTransactions(ctx, nil, []string{"Ongoing"}); len(ls) != 0 {
		t.Fatalf("ListTransactions(Ongoing) = %v", ls)
	}
	// One more committed record after the aborted ones, so that a
	// read_committed consumer has a committed end to reach.
	if err := runTxn(ctx, cl, "last", 1, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	got := readCommitted(t, addr, "tx", 6)
	for _, v := range got {
		if v[:4] != "comm" && v != "last-0" {
			t.Fatalf("read_committed saw %q; all: %v", v, got)
		}
	}
}

// readCommitted consumes topic with isolation.level=read_committed until n
// records arrived, and returns their values.
func readCommitted(t *testing.T, addr, topic string, n int) []string {
	t.Helper()
	cl := newClient(t, addr, kgo.ConsumeTopics(topic), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got []string
	for len(got) < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("read %v of %d: %v", got, n, err)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetch %s/%d: %v", topic, p, err) })
		fs.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	}
	return got
}

func TestTransactionalProducerFenced(t *testing.T) {
	b, addr := startBroker(t, t.TempDir(), txnOverrides...)
	defer b.Close()
	createTopic(t, addr, "tx", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	old := txnProducer(t, addr, "shared", "tx")
	if err := old.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := old.ProduceSync(ctx, kgo.StringRecord("zombie")).FirstErr(); err != nil {
		t.Fatal(err)
	}
	// A new instance takes over: its init aborts the old one's open
	// transaction and bumps the epoch.
	next := txnProducer(t, addr, "shared", "tx")
	if err := runTxn(ctx, next, "new", 2, kgo.TryCommit); err != nil {
		t.Fatalf("new instance: %v", err)
	}
	err := old.EndTransaction(ctx, kgo.TryCommit)
	if !errors.Is(err, kerr.ProducerFenced) && !errors.Is(err, kerr.InvalidProducerEpoch) {
		t.Fatalf("zombie commit: %v, want PRODUCER_FENCED", err)
	}
	adm := kadm.NewClient(newClient(t, addr))
	if d := describeTxn(t, adm, "shared"); d.State != "CompleteCommit" || d.ProducerEpoch < 1 {
		t.Fatalf("after fencing: %+v", d)
	}
	if got := readCommitted(t, addr, "tx", 2); got[0] != "new-0" || got[1] != "new-1" {
		t.Fatalf("read_committed saw %v; the zombie's record was not aborted", got)
	}
}

// TestProduceVerifiedAgainstTransaction: a transactional batch for a
// partition not added to the producer's transaction is refused
// (KIP-890 part 1) and does not open a transaction on the partition.
// Produce v11 is a transaction version 1 client's: v12+ would add the
// partition instead (txn_tv2_test.go).
func TestProduceVerifiedAgainstTransaction(t *testing.T) {
	b, addr := startBroker(t, t.TempDir(), txnOverrides...)
	defer b.Close()
	createTopic(t, addr, "tx", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	v := kversion.Stable()
	v.SetMaxKeyVersion(0, 11)
	cl := newClient(t, addr, kgo.MaxVersions(v))
	id := "raw"
	var init *kmsg.InitProducerIDResponse
	waitFor(t, 10*time.Second, "InitProducerId", func() bool {
		fc := kmsg.NewPtrFindCoordinatorRequest()
		fc.CoordinatorType, fc.CoordinatorKey = 1, id
		if _, err := fc.RequestWith(ctx, cl); err != nil {
			return false
		}
		req := kmsg.NewPtrInitProducerIDRequest()
		req.TransactionalID, req.TransactionTimeoutMillis = &id, 10000
		resp, err := req.RequestWith(ctx, cl)
		init = resp
		return err == nil && resp.ErrorCode == 0
	})
	batch, err := record.Build(nil, record.BatchSpec{Transactional: true, ProducerID: init.ProducerID,
		ProducerEpoch: init.ProducerEpoch, BaseSequence: 0, Records: []record.NewRecord{{Value: []byte("stray")}}})
	if err != nil {
		t.Fatal(err)
	}
	produce := func() int16 {
		req := kmsg.NewPtrProduceRequest()
		req.TransactionID, req.Acks, req.TimeoutMillis = &id, -1, 5000
		rt := kmsg.NewProduceRequestTopic()
		rt.Topic = "tx"
		rp := kmsg.NewProduceRequestTopicPartition()
		rp.Records = batch
		rt.Partitions = []kmsg.ProduceRequestTopicPartition{rp}
		req.Topics = []kmsg.ProduceRequestTopic{rt}
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			t.Fatal(err)
		}
		return resp.Topics[0].Partitions[0].ErrorCode
	}
	if code := produce(); code != kerr.InvalidTxnState.Code {
		t.Fatalf("produce outside the transaction: %v, want INVALID_TXN_STATE", kerr.ErrorForCode(code))
	}
	add := kmsg.NewPtrAddPartitionsToTxnRequest()
	add.Version = 3
	add.TransactionalID, add.ProducerID, add.ProducerEpoch = id, init.ProducerID, init.ProducerEpoch
	at := kmsg.NewAddPartitionsToTxnRequestTopic()
	at.Topic, at.Partitions = "tx", []int32{0}
	add.Topics = []kmsg.AddPartitionsToTxnRequestTopic{at}
	if resp, err := add.RequestWith(ctx, cl); err != nil || resp.Topics[0].Partitions[0].ErrorCode != 0 {
		t.Fatalf("AddPartitionsToTxn: %+v, %v", resp, err)
	}
	if code := produce(); code != 0 {
		t.Fatalf("produce inside the transaction: %v", kerr.ErrorForCode(code))
	}
}
