package cli

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/strom-project/strom/internal/record"
)

// TestTxnCommands: strom txn list / describe / describe-producers /
// find-hanging / abort around a transaction left open by its producer;
// aborting it on the partition lets read_committed consumers past it.
func TestTxnCommands(t *testing.T) {
	b := startBrokerWith(t, "PLAINTEXT", "transaction.state.log.num.partitions=1", "offsets.topic.num.partitions=1")
	mustRun(t, "", "topic", "create", "pay", "-b", b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b), kgo.TransactionalID("tx"), kgo.DefaultProduceTopic("pay"),
		kgo.TransactionTimeout(60*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(ctx, kgo.StringRecord("a"), kgo.StringRecord("b")).FirstErr(); err != nil {
		t.Fatal(err)
	}

	if got := mustRun(t, "", "txn", "list", "-b", b); !strings.Contains(got, "tx ") || !strings.Contains(got, "Ongoing") {
		t.Errorf("txn list:\n%s", got)
	}
	if got := mustRun(t, "", "txn", "describe", "tx", "-b", b); !strings.Contains(got, "pay-0") {
		t.Errorf("txn describe:\n%s", got)
	}
	var ps []struct {
		ProducerID     int64 `json:"producer_id"`
		TxnStartOffset int64 `json:"current_txn_start_offset"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "", "txn", "describe-producers", "--topic", "pay", "-o", "json", "-b", b)), &ps); err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].TxnStartOffset != 0 {
		t.Fatalf("describe-producers: %+v", ps)
	}
	// The coordinator knows the transaction: it is open, not hanging.
	if got := mustRun(t, "", "txn", "find-hanging", "--max-transaction-timeout", "0s", "-o", "json", "-b", b); strings.TrimSpace(got) != "[]" {
		t.Errorf("find-hanging listed a transaction its coordinator knows:\n%s", got)
	}
	if lso := lastStable(ctx, t, b); lso != 0 {
		t.Fatalf("last stable offset %d before the abort, want 0", lso)
	}
	got := mustRun(t, "", "txn", "abort", "--topic", "pay", "--partition", "0", "--start-offset", "0", "-b", b)
	if !strings.Contains(got, "aborted the transaction of producer") {
		t.Errorf("abort output: %s", got)
	}
	if lso := lastStable(ctx, t, b); lso != 3 {
		t.Fatalf("last stable offset %d after the abort, want 3 (two records and the marker)", lso)
	}
	if _, err := run(t, "", "txn", "abort", "--topic", "pay", "--partition", "0", "--start-offset", "0", "-b", b); err == nil ||
		!strings.Contains(err.Error(), "no open transaction starts at offset 0") {
		t.Errorf("aborting twice: %v", err)
	}
}

// lastStable is partition 0 of pay's read_committed end offset.
func lastStable(ctx context.Context, t *testing.T, b string) int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	req := kmsg.NewPtrListOffsetsRequest()
	req.IsolationLevel = 1
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = "pay"
	rp := kmsg.NewListOffsetsRequestTopicPartition()
	rp.Timestamp = -1
	rt.Partitions = []kmsg.ListOffsetsRequestTopicPartition{rp}
	req.Topics = []kmsg.ListOffsetsRequestTopic{rt}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	return resp.Topics[0].Partitions[0].Offset
}

// TestTxnFindHanging: a transactional batch its coordinator never heard of
// is refused (KIP-890), until transaction.partition.verification.enable is
// switched off live; then it holds the last stable offset for good, as
// before KIP-890, and find-hanging lists it and abort ends it.
func TestTxnFindHanging(t *testing.T) {
	b := startBrokerWith(t, "PLAINTEXT", "transaction.state.log.num.partitions=1", "offsets.topic.num.partitions=1")
	mustRun(t, "", "topic", "create", "ledger", "-b", b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Produce v11: the producer adds partitions itself (transaction
	// version 1), so only the verification switch guards the partition.
	versions := kversion.Stable()
	versions.SetMaxKeyVersion(kmsg.Produce.Int16(), 11)
	cl, err := kgo.NewClient(kgo.SeedBrokers(b), kgo.MaxVersions(versions))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	batch, err := record.Build(nil, record.BatchSpec{Transactional: true, ProducerID: 4242, BaseSequence: 0,
		BaseTimestamp: time.Now().UnixMilli(), Records: []record.NewRecord{{Value: []byte("ghost")}}})
	if err != nil {
		t.Fatal(err)
	}
	req := kmsg.NewPtrProduceRequest()
	ghost := "ghost"
	req.TransactionID, req.Acks, req.TimeoutMillis = &ghost, -1, 10000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = "ledger"
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = batch
	rt.Partitions = []kmsg.ProduceRequestTopicPartition{rp}
	req.Topics = []kmsg.ProduceRequestTopic{rt}
	produce := func() error {
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			t.Fatal(err)
		}
		return kerr.ErrorForCode(resp.Topics[0].Partitions[0].ErrorCode)
	}
	if err := produce(); !errors.Is(err, kerr.InvalidProducerIDMapping) {
		t.Fatalf("produce for a transactional id the coordinator does not know: %v, want INVALID_PRODUCER_ID_MAPPING (KIP-890)", err)
	}
	mustRun(t, "", "cluster", "config", "set", "transaction.partition.verification.enable=false", "-b", b)
	if err := produce(); err != nil {
		t.Fatalf("produce with verification off: %v", err)
	}

	var hanging []struct {
		Topic      string `json:"topic"`
		Partition  int32  `json:"partition"`
		ProducerID int64  `json:"producer_id"`
		StartOff   int64  `json:"current_txn_start_offset"`
	}
	out := mustRun(t, "", "txn", "find-hanging", "--max-transaction-timeout", "0s", "-o", "json", "-b", b)
	if err := json.Unmarshal([]byte(out), &hanging); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(hanging) != 1 || hanging[0].Topic != "ledger" || hanging[0].ProducerID != 4242 || hanging[0].StartOff != 0 {
		t.Fatalf("find-hanging: %s, want producer 4242 on ledger-0 from offset 0", out)
	}
	if got := mustRun(t, "", "txn", "find-hanging", "--max-transaction-timeout", "1h", "-o", "json", "-b", b); strings.TrimSpace(got) != "[]" {
		t.Errorf("a transaction younger than the largest timeout is not hanging yet:\n%s", got)
	}
	mustRun(t, "", "txn", "abort", "--topic", "ledger", "--partition", "0", "--start-offset", "0", "-b", b)
	if got := mustRun(t, "", "txn", "find-hanging", "--max-transaction-timeout", "0s", "-o", "json", "-b", b); strings.TrimSpace(got) != "[]" {
		t.Errorf("still hanging after the abort:\n%s", got)
	}
}
