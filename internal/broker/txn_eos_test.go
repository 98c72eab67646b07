package broker

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestGroupTransactSessionExactlyOnce runs franz-go's consume-transform-
// produce loop (TxnOffsetCommit inside the transaction, KIP-447) and
// checks, with a read_committed consumer, that every input record was
// produced exactly once and the group's committed offsets cover the input.
func TestGroupTransactSessionExactlyOnce(t *testing.T) {
	b, addr := startBroker(t, t.TempDir(), txnOverrides...)
	defer b.Close()
	createTopic(t, addr, "in", 1)
	createTopic(t, addr, "out", 1)
	const n = 30
	produceN(t, newClient(t, addr), "in", n)

	sess, err := kgo.NewGroupTransactSession(kgo.SeedBrokers(addr), kgo.TransactionalID("eos"),
		kgo.ConsumerGroup("eos-group"), kgo.ConsumeTopics("in"), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DefaultProduceTopic("out"),
		kgo.TransactionTimeout(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done, aborted := 0, false
	for done < n {
		fs := sess.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("transformed %d of %d: %v", done, n, err)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetch %s/%d: %v", topic, p, err) })
		if err := sess.Begin(); err != nil {
			t.Fatal(err)
		}
		var recs []*kgo.Record
		fs.EachRecord(func(r *kgo.Record) { recs = append(recs, kgo.StringRecord("out-"+string(r.Value))) })
		if len(recs) > 0 {
			if err := sess.ProduceSync(ctx, recs...).FirstErr(); err != nil {
				t.Fatalf("produce: %v", err)
			}
		}
		// The first batch is aborted once: its records must never be
		// seen, and it must be consumed again.
		try := kgo.TryCommit
		if !aborted && len(recs) > 0 {
			try, aborted = kgo.TryAbort, true
		}
		committed, err := sess.End(ctx, try)
		if err != nil {
			t.Fatalf("end: %v", err)
		}
		if committed {
			done += len(recs)
		}
	}
	got := readCommitted(t, addr, "out", n)
	seen := map[string]bool{}
	for _, v := range got {
		if seen[v] {
			t.Fatalf("%q produced twice: %v", v, got)
		}
		seen[v] = true
	}
	adm := kadm.NewClient(newClient(t, addr))
	offs, err := adm.FetchOffsets(ctx, "eos-group")
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := offs.Lookup("in", 0); !ok || o.At != n {
		t.Fatalf("committed offset of in-0: %+v, want %d", o, n)
	}
	// Nothing beyond the n committed outputs is visible.
	ends, err := adm.ListEndOffsets(ctx, "out")
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := ends.Lookup("out", 0); e.Offset <= int64(n) {
		t.Fatalf("out end offset %d: want the aborted batch and markers beyond %d", e.Offset, n)
	}
}
