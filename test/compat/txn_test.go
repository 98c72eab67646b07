package compat

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Transactions through each client. One transactional producer commits
// c0..c2 to partition 0 of the output topic together with offset 3 of the
// input topic for a group, aborts a0, a1 with offset 99, and commits c3.
// Then:
//   - franz-go reading read_committed sees exactly c0..c3, and reading
//     read_uncommitted also a0, a1 (the abort was of data in the log);
//   - the group's committed offset is 3 (the aborted 99 never applied);
//   - the client's own read_committed consumer sees exactly c0..c3.
const (
	txnCommitAbort   = "transactions commit/abort"
	txnOffsets       = "transactional offset commit"
	txnReadCommitted = "read_committed consume"
)

var (
	txnCommitted = []string{"c0", "c1", "c2", "c3"}
	txnAll       = []string{"c0", "c1", "c2", "a0", "a1", "c3"}
)

// txnSetup names one client's topics and group.
type txnSetup struct{ out, in, group string }

func newTxnSetup(t *testing.T) txnSetup {
	t.Helper()
	s := txnSetup{out: topicName(t), group: groupName(t, "")}
	s.in = s.out + "-in"
	createTopic(t, scenarioContext(t), s.out, 1)
	createTopic(t, scenarioContext(t), s.in, 1)
	return s
}

// values reads n records of partition 0 of topic with franz-go at the
// given isolation level and returns their values in offset order.
func values(t *testing.T, topic string, iso kgo.IsolationLevel, n int) []string {
	t.Helper()
	ctx := scenarioContext(t)
	cl := newKgo(t, kgo.FetchIsolationLevel(iso),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}))
	var got []string
	for len(got) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %v of %d records from %s: %v", got, n, topic, ctx.Err())
		}
		fs.EachError(func(tp string, p int32, err error) { t.Fatalf("fetch %s/%d: %v", tp, p, err) })
		fs.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	}
	return got
}

// checkLog checks the output topic and the group's offsets with franz-go.
func (s txnSetup) checkLog(t *testing.T) {
	t.Helper()
	equalLines(t, "read_committed (franz-go)", values(t, s.out, kgo.ReadCommitted(), len(txnCommitted)), txnCommitted)
	equalLines(t, "read_uncommitted (franz-go)", values(t, s.out, kgo.ReadUncommitted(), len(txnAll)), txnAll)
}

func (s txnSetup) checkOffsets(t *testing.T) {
	t.Helper()
	requireCommitted(t, s.group, s.in, map[int32]int64{0: 3})
}

func TestKafkaJSTransactions(t *testing.T) {
	needKafkaJS(t)
	s := newTxnSetup(t)
	out, errOut, err := runCmdErr("", "node", "js/txn.js", brokerAddr, s.out, s.in, s.group)
	var rt struct {
		Version                         string
		Error                           string
		Commit, Abort, Commit2, Consume jsStep
	}
	if err == nil {
		err = json.Unmarshal([]byte(out), &rt)
	}
	if err != nil || rt.Error != "" {
		t.Fatalf("node js/txn.js: %v %s\nstdout:\n%s\nstderr:\n%s", err, rt.Error, out, tail(errOut, 30))
	}
	scenario(t, clientKafkaJS, txnCommitAbort, func(t *testing.T) {
		rt.Commit.ok(t, "transaction commit", nil)
		rt.Abort.ok(t, "transaction abort", nil)
		rt.Commit2.ok(t, "second commit", nil)
		s.checkLog(t)
	})
	scenario(t, clientKafkaJS, txnOffsets, func(t *testing.T) {
		needGroups(t)
		s.checkOffsets(t)
	})
	scenario(t, clientKafkaJS, txnReadCommitted, func(t *testing.T) {
		var seen []struct {
			Offset int64
			Value  string
		}
		rt.Consume.ok(t, "read_committed consumer", &seen)
		var got []string
		for _, m := range seen {
			got = append(got, m.Value)
		}
		equalLines(t, "kafkajs read_committed consumer", got, txnCommitted)
	})
}

func TestConfluentPythonTransactions(t *testing.T) {
	needPythonModule(t, "confluent_kafka")
	s := newTxnSetup(t)
	out := runCmd(t, "", systemPython, "py/confluent_txn.py", brokerAddr, s.out, s.in, s.group)
	var rt struct {
		Steps    map[string]*string
		Consumed []struct {
			Offset int64
			Value  string
		}
		Error *string
	}
	if err := json.Unmarshal([]byte(out), &rt); err != nil {
		t.Fatalf("confluent_txn.py output is not JSON: %v\n%s", err, out)
	}
	scenario(t, clientConfluent, txnCommitAbort, func(t *testing.T) {
		for _, step := range []string{"commit", "abort", "commit2"} {
			if e, ok := rt.Steps[step]; !ok || e != nil {
				t.Fatalf("transaction step %s: ran %v, error %v (script error %v)", step, ok, deref(e), deref(rt.Error))
			}
		}
		s.checkLog(t)
	})
	scenario(t, clientConfluent, txnOffsets, func(t *testing.T) {
		needGroups(t)
		s.checkOffsets(t)
	})
	scenario(t, clientConfluent, txnReadCommitted, func(t *testing.T) {
		if rt.Error != nil {
			t.Fatalf("consumer: %s", *rt.Error)
		}
		var got []string
		for _, m := range rt.Consumed {
			got = append(got, m.Value)
		}
		equalLines(t, "confluent-kafka-python read_committed consumer", got, txnCommitted)
	})
}

// TestFranzGoTransactions: franz-go's GroupTransactSession consumes the
// input topic in the group and commits its offsets with the output, its
// plain transactional client aborts and commits, and its read_committed
// consumer is the reader.
func TestFranzGoTransactions(t *testing.T) {
	s := newTxnSetup(t)
	ctx := scenarioContext(t)
	in := newKgo(t, kgo.DefaultProduceTopic(s.in), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	for i := range 3 {
		if err := in.ProduceSync(ctx, &kgo.Record{Value: fmt.Appendf(nil, "i%d", i)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	scenario(t, clientFranz, txnOffsets, func(t *testing.T) {
		needGroups(t)
		sess, err := kgo.NewGroupTransactSession(kgo.SeedBrokers(brokerAddr), kgo.TransactionalID("strom-compat-franz-session"),
			kgo.ConsumerGroup(s.group), kgo.ConsumeTopics(s.in), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DefaultProduceTopic(s.out),
			kgo.RecordPartitioner(kgo.ManualPartitioner()))
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		var consumed int
		for consumed < 3 {
			fs := sess.PollFetches(ctx)
			if ctx.Err() != nil {
				t.Fatalf("consumed %d of 3 input records: %v", consumed, ctx.Err())
			}
			if err := sess.Begin(); err != nil {
				t.Fatal(err)
			}
			fs.EachRecord(func(r *kgo.Record) {
				sess.Produce(ctx, &kgo.Record{Value: []byte("c" + string(r.Value[1:]))}, nil)
				consumed++
			})
			if committed, err := sess.End(ctx, kgo.TryCommit); err != nil || !committed {
				t.Fatalf("End(TryCommit): committed %v, err %v", committed, err)
			}
		}
		s.checkOffsets(t)
	})
	scenario(t, clientFranz, txnCommitAbort, func(t *testing.T) {
		cl := newKgo(t, kgo.TransactionalID("strom-compat-franz"), kgo.DefaultProduceTopic(s.out),
			kgo.RecordPartitioner(kgo.ManualPartitioner()))
		txn := func(commit kgo.TransactionEndTry, vals ...string) {
			t.Helper()
			if err := cl.BeginTransaction(); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				cl.Produce(ctx, &kgo.Record{Value: []byte(v)}, nil)
			}
			if err := cl.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			if err := cl.EndTransaction(ctx, commit); err != nil {
				t.Fatal(err)
			}
		}
		if ends := values(t, s.out, kgo.ReadCommitted(), 3); !slices.Equal(ends, txnCommitted[:3]) {
			t.Fatalf("the session wrote %v, want %v", ends, txnCommitted[:3])
		}
		txn(kgo.TryAbort, "a0", "a1")
		txn(kgo.TryCommit, "c3")
		s.checkLog(t)
	})
	scenario(t, clientFranz, txnReadCommitted, func(t *testing.T) {
		// values() above is franz-go's read_committed consumer; here the
		// last stable offset holds while a transaction is open.
		open := newKgo(t, kgo.TransactionalID("strom-compat-franz-open"), kgo.DefaultProduceTopic(s.out),
			kgo.RecordPartitioner(kgo.ManualPartitioner()))
		if err := open.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		if err := open.ProduceSync(ctx, &kgo.Record{Value: []byte("pending")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
		adm := kadm.NewClient(newKgo(t))
		stable, err := adm.ListCommittedOffsets(ctx, s.out)
		if err != nil {
			t.Fatal(err)
		}
		ends, err := adm.ListEndOffsets(ctx, s.out)
		if err != nil {
			t.Fatal(err)
		}
		lso, _ := stable.Lookup(s.out, 0)
		leo, _ := ends.Lookup(s.out, 0)
		if lso.Offset != leo.Offset-1 {
			t.Fatalf("read_committed end %d with the open transaction's record at %d: the LSO must stop before it", lso.Offset, leo.Offset-1)
		}
		equalLines(t, "read_committed with a transaction open", values(t, s.out, kgo.ReadCommitted(), len(txnCommitted)), txnCommitted)
		if err := open.EndTransaction(ctx, kgo.TryAbort); err != nil {
			t.Fatal(err)
		}
	})
}
