package api_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strom-project/strom/internal/teststrom"
	"github.com/strom-project/strom/internal/testutil"
)

func startWith(t *testing.T, overrides ...string) (*kadm.Client, *kgo.Client, string) {
	t.Helper()
	b, err := teststrom.Start(teststrom.Options{Dir: t.TempDir(), Overrides: overrides})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Stop() })
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.DefaultProduceTopic("unused"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return kadm.NewClient(cl), cl, b.Addr()
}

// consumeAll reads partition 0 of topic from its start to the high watermark.
func consumeAll(t *testing.T, adm *kadm.Client, addr, topic string) []*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	end, _ := ends.Lookup(topic, 0)
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []*kgo.Record
	for last := int64(-1); last < end.Offset-1; {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed up to %d of %d", last, end.Offset)
		}
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r); last = r.Offset })
	}
	return out
}

func produceSync(t *testing.T, cl *kgo.Client, recs ...*kgo.Record) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return cl.ProduceSync(ctx, recs...).FirstErr()
}

// A compacted topic with small segments is cleaned by the broker's own
// cleaner threads: a consumer from the beginning ends up seeing exactly the
// latest value per key, and tombstoned keys vanish after delete.retention.ms.
func TestCompactionEndToEnd(t *testing.T) {
	adm, cl, addr := startWith(t, "log.cleaner.backoff.ms=50")
	ctx := context.Background()
	const topic = "compacted"
	cfg := map[string]*string{"cleanup.policy": str("compact"), "segment.bytes": str("2048"),
		"min.cleanable.dirty.ratio": str("0.01"), "delete.retention.ms": str("500"), "file.delete.delay.ms": str("1000")}
	if _, err := adm.CreateTopic(ctx, 1, 1, cfg, topic); err != nil {
		t.Fatal(err)
	}
	if err := produceSync(t, cl, &kgo.Record{Topic: topic, Value: []byte("no key")}); !errors.Is(err, kerr.InvalidRecord) {
		t.Fatalf("keyless record on a compacted topic: %v, want INVALID_RECORD", err)
	}
	latest := map[string]string{}
	for i := range 300 {
		k := fmt.Sprintf("key-%d", i%7)
		v := fmt.Sprintf("value-%d", i)
		latest[k] = v
		if err := produceSync(t, cl, &kgo.Record{Topic: topic, Key: []byte(k), Value: []byte(v)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"key-5", "key-6"} {
		if err := produceSync(t, cl, &kgo.Record{Topic: topic, Key: []byte(k)}); err != nil {
			t.Fatal(err)
		}
		delete(latest, k)
	}
	untilCleaned(t, cl, adm, addr, topic, func(seen map[string][]string) error {
		if len(seen) != len(latest) {
			return fmt.Errorf("keys %v, want %d live keys", seen, len(latest))
		}
		for k, v := range latest {
			if vs := seen[k]; len(vs) != 1 || vs[0] != v {
				return fmt.Errorf("key %s: %v, want only %s", k, vs, v)
			}
		}
		return nil
	})
}

// untilCleaned writes filler records (fresh dirty data keeps the cleaner
// coming back, so tombstones and markers past their horizon meet a later
// round) and reads the topic back, key → values in offset order (filler
// left out, a tombstone as "<tombstone>"), until check accepts it.
func untilCleaned(t *testing.T, cl *kgo.Client, adm *kadm.Client, addr, topic string, check func(seen map[string][]string) error) {
	t.Helper()
	filler := 0
	testutil.WaitFor(t, 60*time.Second, func() error {
		for range 20 {
			filler++
			if err := produceSync(t, cl, &kgo.Record{Topic: topic, Key: []byte("filler"), Value: []byte(fmt.Sprint(filler))}); err != nil {
				return err
			}
		}
		seen := map[string][]string{}
		for _, r := range consumeAll(t, adm, addr, topic) {
			if k := string(r.Key); k != "filler" {
				v := string(r.Value)
				if r.Value == nil {
					v = "<tombstone>"
				}
				seen[k] = append(seen[k], v)
			}
		}
		return check(seen)
	})
}

func TestDeleteRecords(t *testing.T) {
	adm, cl, addr := startWith(t)
	ctx := context.Background()
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "trim"); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.CreateTopic(ctx, 1, 1, map[string]*string{"cleanup.policy": str("compact")}, "compact-only"); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if err := produceSync(t, cl, &kgo.Record{Topic: "trim", Key: []byte("k"), Value: []byte(fmt.Sprint(i))},
			&kgo.Record{Topic: "compact-only", Key: []byte("k"), Value: []byte("v")}); err != nil {
			t.Fatal(err)
		}
	}
	deleteOne := func(topic string, off int64) kadm.DeleteRecordsResponse {
		t.Helper()
		o := kadm.Offsets{}
		o.AddOffset(topic, 0, off, -1)
		res, err := adm.DeleteRecords(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := res.Lookup(topic, 0)
		return r
	}
	if r := deleteOne("trim", 4); r.Err != nil || r.LowWatermark != 4 {
		t.Fatalf("delete before 4: low watermark %d, err %v", r.LowWatermark, r.Err)
	}
	if r := deleteOne("trim", 11); !errors.Is(r.Err, kerr.OffsetOutOfRange) {
		t.Fatalf("delete beyond the high watermark: %v, want OFFSET_OUT_OF_RANGE", r.Err)
	}
	if r := deleteOne("compact-only", 2); !errors.Is(r.Err, kerr.PolicyViolation) {
		t.Fatalf("delete on a compact-only topic: %v, want POLICY_VIOLATION", r.Err)
	}
	starts, err := adm.ListStartOffsets(ctx, "trim")
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := starts.Lookup("trim", 0); s.Offset != 4 {
		t.Fatalf("ListOffsets earliest = %d, want 4", s.Offset)
	}
	if recs := consumeAll(t, adm, addr, "trim"); len(recs) != 6 || recs[0].Offset != 4 {
		t.Fatalf("consumed %d records from %d, want 6 from 4", len(recs), recs[0].Offset)
	}
	below, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeResetOffset(kgo.NoResetOffset()),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{"trim": {0: kgo.NewOffset().At(2)}}))
	if err != nil {
		t.Fatal(err)
	}
	defer below.Close()
	testutil.WaitFor(t, 20*time.Second, func() error {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		for _, fe := range below.PollFetches(pctx).Errors() {
			if errors.Is(fe.Err, kerr.OffsetOutOfRange) {
				return nil
			}
		}
		return errors.New("no OFFSET_OUT_OF_RANGE for a fetch below the log start offset")
	})
	if r := deleteOne("trim", -1); r.Err != nil || r.LowWatermark != 10 {
		t.Fatalf("delete before the high watermark (-1): low watermark %d, err %v", r.LowWatermark, r.Err)
	}
}

// Compaction of transactional data through real clients: an aborted
// transaction that overwrote every key disappears, and the committed values
// before it stay (Kafka's cleaner never lets aborted data win a key).
func TestCompactionDropsAbortedTransactions(t *testing.T) {
	adm, cl, addr := startWith(t, "log.cleaner.backoff.ms=50")
	ctx := context.Background()
	const topic = "compacted-txn"
	cfg := map[string]*string{"cleanup.policy": str("compact"), "segment.bytes": str("2048"),
		"min.cleanable.dirty.ratio": str("0.01"), "delete.retention.ms": str("100"), "file.delete.delay.ms": str("1000")}
	if _, err := adm.CreateTopic(ctx, 1, 1, cfg, topic); err != nil {
		t.Fatal(err)
	}
	txn, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.TransactionalID("compacting"), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer txn.Close()
	write := func(value string, commit kgo.TransactionEndTry) {
		t.Helper()
		if err := txn.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		for i := range 20 {
			txn.Produce(ctx, &kgo.Record{Key: []byte(fmt.Sprintf("key-%d", i)), Value: []byte(value)}, nil)
		}
		if err := txn.Flush(ctx); err != nil { // the aborted records reach the log too
			t.Fatal(err)
		}
		if err := txn.EndTransaction(ctx, commit); err != nil {
			t.Fatal(err)
		}
	}
	write("committed", kgo.TryCommit)
	write("aborted", kgo.TryAbort)
	// franz-go reads uncommitted by default: before cleaning it sees the
	// aborted values too.
	untilCleaned(t, cl, adm, addr, topic, func(seen map[string][]string) error {
		for i := range 20 {
			if vs := seen[fmt.Sprintf("key-%d", i)]; len(vs) != 1 || vs[0] != "committed" {
				return fmt.Errorf("key-%d: %v, want only the committed value", i, vs)
			}
		}
		return nil
	})
}
