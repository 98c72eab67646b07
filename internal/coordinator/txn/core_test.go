package txn

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

func TestInitAllocatesAndBumpsEpoch(t *testing.T) {
	h := newHarness(t)
	r := h.mustInit("a")
	if r.ProducerID != 1000 || r.ProducerEpoch != 0 {
		t.Fatalf("first init: %+v, want producer 1000 epoch 0", r)
	}
	r2 := h.mustInit("a")
	if r2.ProducerID != 1000 || r2.ProducerEpoch != 1 {
		t.Fatalf("re-init: %+v, want producer 1000 epoch 1", r2)
	}
	// The old epoch is fenced everywhere.
	wantErr(t, "add with old epoch", h.add("a", r, tp0), kerr.ProducerFenced)
	wantErr(t, "end with old epoch", h.c.endTxn("a", r.ProducerID, r.ProducerEpoch, true, h.clock.Now()), kerr.ProducerFenced)
	wantErr(t, "KIP-360 init as the old producer", h.init("a", r.ProducerID, r.ProducerEpoch+5).Err, kerr.ProducerFenced)
	// A producer whose id expired re-inits with its old id and epoch and
	// gets a fresh producer id.
	if r4 := h.init("expired", 77, 3); r4.Err != nil || r4.ProducerEpoch != 0 {
		t.Fatalf("re-init of an unknown id with a producer id: %+v", r4)
	}
	// Another id gets another producer id.
	if r3 := h.mustInit("b"); r3.ProducerID != 1002 {
		t.Fatalf("second id: %+v", r3)
	}
}

func TestInitRejectsTimeoutAboveMax(t *testing.T) {
	h := newHarness(t)
	r := h.c.initProducer("a", 16*time.Minute, -1, -1, h.clock.Now())
	wantErr(t, "init", r.Err, kerr.InvalidTransactionTimeout)
}

func TestEpochExhaustionTakesNewProducerID(t *testing.T) {
	h := newHarness(t)
	h.mustInit("a")
	h.c.txns["a"].epoch = maxEpoch
	r := h.mustInit("a")
	if r.ProducerID != 1001 || r.ProducerEpoch != 0 {
		t.Fatalf("after exhaustion: %+v, want producer 1001 epoch 0", r)
	}
}

func TestCommitAndAbortPaths(t *testing.T) {
	for _, commit := range []bool{true, false} {
		t.Run(fmt.Sprint("commit=", commit), func(t *testing.T) {
			h := newHarness(t)
			r := h.mustInit("a")
			wantErr(t, "end without transaction", h.c.endTxn("a", r.ProducerID, r.ProducerEpoch, commit, h.clock.Now()), kerr.InvalidTxnState)
			if err := h.add("a", r, tp0); err != nil {
				t.Fatal(err)
			}
			if err := h.add("a", r, tp1, tp0); err != nil {
				t.Fatal(err)
			}
			if h.state("a") != Ongoing {
				t.Fatalf("state %v", h.state("a"))
			}
			if err := h.c.endTxn("a", r.ProducerID, r.ProducerEpoch, commit, h.clock.Now()); err != nil {
				t.Fatal(err)
			}
			prepare, complete := PrepareAbort, CompleteAbort
			if commit {
				prepare, complete = PrepareCommit, CompleteCommit
			}
			if h.state("a") != prepare {
				t.Fatalf("state %v, want %v", h.state("a"), prepare)
			}
			// While markers are written: the same EndTxn is retried, the
			// opposite one is invalid, adding is refused.
			wantErr(t, "retried end", h.c.endTxn("a", r.ProducerID, r.ProducerEpoch, commit, h.clock.Now()), kerr.ConcurrentTransactions)
			wantErr(t, "opposite end", h.c.endTxn("a", r.ProducerID, r.ProducerEpoch, !commit, h.clock.Now()), kerr.InvalidTxnState)
			wantErr(t, "add while preparing", h.add("a", r, tp0), kerr.ConcurrentTransactions)
			wantErr(t, "init while preparing", h.init("a", -1, -1).Err, kerr.ConcurrentTransactions)
			jobs := h.completeMarkers()
			want := []MarkerJob{{TransactionalID: "a", ProducerID: r.ProducerID, ProducerEpoch: r.ProducerEpoch, Commit: commit, Partitions: []TopicPartition{tp0, tp1}}}
			if !reflect.DeepEqual(jobs, want) {
				t.Fatalf("marker jobs %+v, want %+v", jobs, want)
			}
			if h.state("a") != complete {
				t.Fatalf("state %v, want %v", h.state("a"), complete)
			}
			if err := h.c.endTxn("a", r.ProducerID, r.ProducerEpoch, commit, h.clock.Now()); err != nil {
				t.Fatalf("retry after completion: %v", err)
			}
			// The next transaction starts afresh.
			if err := h.add("a", r, tp1); err != nil {
				t.Fatal(err)
			}
			if got := h.c.txns["a"].partitionList(); !reflect.DeepEqual(got, []TopicPartition{tp1}) {
				t.Fatalf("next transaction's partitions %v", got)
			}
		})
	}
}

func TestVerifyOnly(t *testing.T) {
	h := newHarness(t)
	r := h.mustInit("a")
	verify := func(tp TopicPartition) error {
		return h.c.addPartitions("a", r.ProducerID, r.ProducerEpoch, []TopicPartition{tp}, true, h.clock.Now())
	}
	wantErr(t, "verify before add", verify(tp0), kerr.InvalidTxnState)
	if err := h.add("a", r, tp0); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "verify added", verify(tp0), nil)
	wantErr(t, "verify other", verify(tp1), kerr.InvalidTxnState)
	if len(h.c.txns["a"].partitions) != 1 {
		t.Fatal("verifyOnly added a partition")
	}
}

func TestReinitAbortsOngoingTransaction(t *testing.T) {
	h := newHarness(t)
	r := h.mustInit("a")
	if err := h.add("a", r, tp0); err != nil {
		t.Fatal(err)
	}
	// A new instance: the open transaction is aborted with a bumped
	// epoch, and the new instance retries until it completes.
	wantErr(t, "re-init", h.init("a", -1, -1).Err, kerr.ConcurrentTransactions)
	if h.state("a") != PrepareAbort {
		t.Fatalf("state %v", h.state("a"))
	}
	jobs := h.completeMarkers()
	if len(jobs) != 1 || jobs[0].Commit || jobs[0].ProducerEpoch != r.ProducerEpoch+1 {
		t.Fatalf("abort markers %+v: want one abort at epoch %d", jobs, r.ProducerEpoch+1)
	}
	r2 := h.mustInit("a")
	if r2.ProducerEpoch != r.ProducerEpoch+2 {
		t.Fatalf("new instance epoch %d, want %d", r2.ProducerEpoch, r.ProducerEpoch+2)
	}
	wantErr(t, "old instance commits", h.c.endTxn("a", r.ProducerID, r.ProducerEpoch, true, h.clock.Now()), kerr.ProducerFenced)
}

func TestTimeoutAbortsAndFences(t *testing.T) {
	h := newHarness(t)
	r := h.mustInit("a") // timeout one minute
	if err := h.add("a", r, tp0); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Minute)
	h.c.tick(h.clock.Now())
	if h.state("a") != Ongoing {
		t.Fatalf("aborted at exactly the timeout: %v", h.state("a"))
	}
	h.clock.Advance(h.c.cfg.AbortCheckInterval)
	h.c.tick(h.clock.Now())
	if h.state("a") != PrepareAbort {
		t.Fatalf("state after timeout %v, want PrepareAbort", h.state("a"))
	}
	h.completeMarkers()
	wantErr(t, "commit after timeout", h.c.endTxn("a", r.ProducerID, r.ProducerEpoch, true, h.clock.Now()), kerr.ProducerFenced)
	// KIP-360: the timed-out producer recovers by re-initialising with
	// its id and old epoch.
	r2 := h.init("a", r.ProducerID, r.ProducerEpoch)
	if r2.Err != nil || r2.ProducerID != r.ProducerID || r2.ProducerEpoch != r.ProducerEpoch+2 {
		t.Fatalf("recovery init %+v", r2)
	}
}

func TestExpiry(t *testing.T) {
	h := newHarness(t)
	h.mustInit("idle")
	r := h.mustInit("busy")
	h.clock.Advance(7*24*time.Hour - time.Minute)
	if err := h.add("busy", r, tp0); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Hour)
	h.c.tick(h.clock.Now())
	if h.c.txns["idle"] != nil {
		t.Fatal("idle id not expired")
	}
	if h.c.txns["busy"] == nil {
		t.Fatal("id with an ongoing transaction expired")
	}
	if c := h.replay(); c.txns["idle"] != nil {
		t.Fatal("expired id came back on load: no tombstone")
	}
}

func TestConcurrentTransactionsOfDifferentIDs(t *testing.T) {
	h := newHarness(t)
	a, b := h.mustInit("a"), h.mustInit("b")
	if err := h.add("a", a, tp0); err != nil {
		t.Fatal(err)
	}
	if err := h.add("b", b, tp0, tp1); err != nil {
		t.Fatal(err)
	}
	if err := h.c.endTxn("a", a.ProducerID, a.ProducerEpoch, true, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := h.c.endTxn("b", b.ProducerID, b.ProducerEpoch, false, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "a's producer on b", h.c.endTxn("b", a.ProducerID, a.ProducerEpoch, true, h.clock.Now()), kerr.InvalidProducerIDMapping)
	h.completeMarkers()
	if h.state("a") != CompleteCommit || h.state("b") != CompleteAbort {
		t.Fatalf("states a=%v b=%v", h.state("a"), h.state("b"))
	}
}

func TestLoadAfterFailover(t *testing.T) {
	h := newHarness(t)
	a, b, c := h.mustInit("a"), h.mustInit("b"), h.mustInit("c")
	h.add("a", a, tp0)
	h.add("b", b, tp0, tp1)
	h.add("c", c, tp1)
	if err := h.c.endTxn("b", b.ProducerID, b.ProducerEpoch, true, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := h.c.endTxn("c", c.ProducerID, c.ProducerEpoch, false, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	jobs := h.c.takeJobs()
	h.c.markersWritten(jobs[1], h.clock.Now()) // c completes; b's markers are in flight at the failover
	loaded := h.replay()
	for id, m := range h.c.txns {
		got := loaded.txns[id]
		if got == nil {
			t.Fatalf("%q not loaded", id)
		}
		want := m.clone()
		// Only the records count: the last epoch and the queued flag are
		// memory hints.
		want.lastEpoch, want.lastProducer, want.markersQueued = -1, -1, got.markersQueued
		want.updated, want.start = want.updated.Truncate(time.Millisecond), want.start.Truncate(time.Millisecond)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q loaded as %+v, want %+v", id, got, want)
		}
	}
	// The new coordinator resumes b's markers.
	resumed := loaded.takeJobs()
	if len(resumed) != 1 || resumed[0].TransactionalID != "b" || !resumed[0].Commit {
		t.Fatalf("resumed jobs %+v, want b's commit", resumed)
	}
}
