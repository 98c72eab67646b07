package broker_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strom-project/strom/internal/testcluster"
	"github.com/strom-project/strom/internal/testutil"
)

// TestTransactionsAcrossBrokers: on three nodes a transaction's partitions
// have different leaders, so the coordinator's markers (and the leaders'
// KIP-890 verification) cross the inter-broker listener. Then the
// coordinator's node stops; the new coordinator loads the id from the
// replicated __transaction_state and fences the old epoch.
func TestTransactionsAcrossBrokers(t *testing.T) {
	if testing.Short() {
		t.Skip("three-node cluster")
	}
	c := testcluster.Start(t, testcluster.Options{Nodes: 3, Overrides: map[string]string{
		"transaction.state.log.num.partitions": "3", "offsets.topic.num.partitions": "3",
		"broker.session.timeout.ms": "2500",
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	newClient := func(opts ...kgo.Opt) *kgo.Client {
		cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.Bootstrap()...)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cl.Close)
		return cl
	}
	adm := kadm.NewClient(newClient())
	if _, err := adm.CreateTopic(ctx, 3, 3, nil, "xb"); err != nil {
		t.Fatal(err)
	}
	producer := func() *kgo.Client {
		return newClient(kgo.TransactionalID("xb-tx"), kgo.DefaultProduceTopic("xb"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	}
	p := producer()
	txn := func(cl *kgo.Client, prefix string, try kgo.TransactionEndTry) error {
		if err := cl.BeginTransaction(); err != nil {
			return err
		}
		for part := range int32(3) {
			r := kgo.StringRecord(fmt.Sprintf("%s-%d", prefix, part))
			r.Partition = part
			if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
				return err
			}
		}
		return cl.EndTransaction(ctx, try)
	}
	if err := txn(p, "commit", kgo.TryCommit); err != nil {
		t.Fatalf("commit: %v", err)
	}
	if err := txn(p, "abort", kgo.TryAbort); err != nil {
		t.Fatalf("abort: %v", err)
	}
	if err := txn(p, "last", kgo.TryCommit); err != nil {
		t.Fatalf("commit: %v", err)
	}
	// read_committed: commit-* and last-* only, on every partition.
	cons := newClient(kgo.ConsumeTopics("xb"), kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	var got []string
	for len(got) < 6 {
		fs := cons.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %v: %v", got, ctx.Err())
		}
		fs.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	}
	for _, v := range got {
		if v[:5] == "abort" {
			t.Fatalf("read_committed saw %q: %v", v, got)
		}
	}
	var before kadm.DescribedTransaction
	testutil.WaitFor(t, 20*time.Second, func() error {
		ds, err := adm.DescribeTransactions(ctx, "xb-tx")
		if err != nil {
			return err
		}
		before = ds["xb-tx"]
		if before.State != "CompleteCommit" {
			return fmt.Errorf("state %s", before.State)
		}
		return nil
	})
	// Stop the coordinator; a new producer instance reaches the next one,
	// which must know the id (same producer id, a higher epoch).
	c.Stop(int(before.Coordinator) - 1)
	p2 := producer()
	if err := txn(p2, "after", kgo.TryCommit); err != nil {
		t.Fatalf("after failover: %v", err)
	}
	var after kadm.DescribedTransaction
	adm = kadm.NewClient(newClient()) // the old one caches the stopped coordinator
	testutil.WaitFor(t, 20*time.Second, func() error {
		ds, err := adm.DescribeTransactions(ctx, "xb-tx")
		after = ds["xb-tx"]
		return err
	})
	if after.Coordinator == before.Coordinator || after.ProducerID != before.ProducerID || after.ProducerEpoch <= before.ProducerEpoch {
		t.Fatalf("before failover %+v, after %+v", before, after)
	}
}
