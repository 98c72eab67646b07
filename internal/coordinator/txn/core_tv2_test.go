package txn

import (
	"math"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

func (h *harness) endV2(id string, pid int64, epoch int16, commit bool) (EndResult, error) {
	return h.c.endTxnV2(id, pid, epoch, commit, h.clock.Now())
}

// TestTV2EndTxnBumpsEpoch: every EndTxn v5 moves the producer to the next
// epoch, the markers carry it, a retry gets the same answer, and the old
// epoch is fenced once the next transaction begins (KAFKA-17754).
func TestTV2EndTxnBumpsEpoch(t *testing.T) {
	h := newHarness(t)
	r := h.mustInit("a")
	if err := h.add("a", r, tp0); err != nil {
		t.Fatal(err)
	}
	got, err := h.endV2("a", r.ProducerID, r.ProducerEpoch, true)
	if err != nil || got != (EndResult{r.ProducerID, r.ProducerEpoch + 1}) {
		t.Fatalf("EndTxn v5: %+v, %v; want epoch %d", got, err, r.ProducerEpoch+1)
	}
	jobs := h.c.takeJobs()
	if len(jobs) != 1 || jobs[0].ProducerEpoch != r.ProducerEpoch+1 || !jobs[0].Commit {
		t.Fatalf("markers %+v, want one commit job at the bumped epoch", jobs)
	}
	// Retried while the markers are written, then after completion.
	_, err = h.endV2("a", r.ProducerID, r.ProducerEpoch, true)
	wantErr(t, "retry while preparing", err, kerr.ConcurrentTransactions)
	_, err = h.endV2("a", r.ProducerID, r.ProducerEpoch, false)
	wantErr(t, "abort retry of a commit", err, kerr.InvalidTxnState)
	h.c.markersWritten(jobs[0], h.clock.Now())
	if again, err := h.endV2("a", r.ProducerID, r.ProducerEpoch, true); err != nil || again != got {
		t.Fatalf("retry after completion: %+v, %v; want %+v", again, err, got)
	}
	// The next transaction, under the new epoch.
	next := InitResult{ProducerID: got.ProducerID, ProducerEpoch: got.ProducerEpoch}
	wantErr(t, "old epoch adds", h.add("a", r, tp1), kerr.ProducerFenced)
	if err := h.add("a", next, tp1); err != nil {
		t.Fatal(err)
	}
	_, err = h.endV2("a", r.ProducerID, r.ProducerEpoch, true)
	wantErr(t, "late EndTxn of the previous transaction", err, kerr.ProducerFenced)
	if s := h.state("a"); s != Ongoing {
		t.Fatalf("the late EndTxn changed the next transaction: %v", s)
	}
	if _, err := h.endV2("a", next.ProducerID, next.ProducerEpoch, false); err != nil {
		t.Fatal(err)
	}
	if jobs := h.completeMarkers(); len(jobs) != 1 || jobs[0].Commit || jobs[0].Partitions[0] != tp1 {
		t.Fatalf("abort markers: %+v", jobs)
	}
}

// TestTV2EmptyAbort: an abort with nothing added succeeds and bumps the
// epoch; a commit with nothing added is an invalid transition.
func TestTV2EmptyAbort(t *testing.T) {
	h := newHarness(t)
	r := h.mustInit("a")
	_, err := h.endV2("a", r.ProducerID, r.ProducerEpoch, true)
	wantErr(t, "empty commit", err, kerr.InvalidTxnState)
	got, err := h.endV2("a", r.ProducerID, r.ProducerEpoch, false)
	if err != nil || got.ProducerEpoch != r.ProducerEpoch+1 {
		t.Fatalf("empty abort: %+v, %v", got, err)
	}
	if jobs := h.completeMarkers(); len(jobs) != 1 || len(jobs[0].Partitions) != 0 {
		t.Fatalf("empty abort markers: %+v", jobs)
	}
	if s := h.state("a"); s != CompleteAbort {
		t.Fatalf("state %v", s)
	}
	// Aborting again with the new epoch is again an empty abort.
	if again, err := h.endV2("a", got.ProducerID, got.ProducerEpoch, false); err != nil || again.ProducerEpoch != got.ProducerEpoch+1 {
		t.Fatalf("second empty abort: %+v, %v", again, err)
	}
}

// TestTV2FenceIsNotARetry: a transaction aborted by a new producer
// instance or by its timeout bumps the epoch too, but the old producer's
// EndTxn is fenced, not answered as a retry.
func TestTV2FenceIsNotARetry(t *testing.T) {
	h := newHarness(t)
	r := h.mustInit("a")
	if err := h.add("a", r, tp0); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(2 * time.Minute) // past the minute's timeout
	h.c.abortTimedOut(h.clock.Now())
	h.completeMarkers()
	if m := h.c.txns["a"]; m.state != CompleteAbort || m.epoch != r.ProducerEpoch+1 {
		t.Fatalf("after timeout: %v epoch %d", m.state, m.epoch)
	}
	_, err := h.endV2("a", r.ProducerID, r.ProducerEpoch, false)
	wantErr(t, "abort by the timed-out producer", err, kerr.ProducerFenced)
}

// TestTV2EpochExhaustion: at the last epoch the markers go out under the
// old producer id at MaxInt16, and the producer continues with a new id.
func TestTV2EpochExhaustion(t *testing.T) {
	h := newHarness(t)
	r := h.mustInit("a")
	h.c.txns["a"].epoch = maxEpoch
	r.ProducerEpoch = maxEpoch
	if err := h.add("a", r, tp0); err != nil {
		t.Fatal(err)
	}
	got, err := h.endV2("a", r.ProducerID, maxEpoch, true)
	if err != nil || got.ProducerID == r.ProducerID || got.ProducerEpoch != 0 {
		t.Fatalf("EndTxn at the last epoch: %+v, %v; want a new producer id at epoch 0", got, err)
	}
	// The new id is not usable until the markers are written.
	wantErr(t, "new id while preparing", h.add("a", InitResult{ProducerID: got.ProducerID}, tp0), kerr.ConcurrentTransactions)
	jobs := h.completeMarkers()
	if len(jobs) != 1 || jobs[0].ProducerID != r.ProducerID || jobs[0].ProducerEpoch != math.MaxInt16 {
		t.Fatalf("markers %+v, want the old id at MaxInt16", jobs)
	}
	// Replayed, as after a failover: the retry is still recognised.
	h.c = h.replay()
	if again, err := h.endV2("a", r.ProducerID, maxEpoch, true); err != nil || again != got {
		t.Fatalf("retry across the id change after replay: %+v, %v; want %+v", again, err, got)
	}
	if err := h.add("a", InitResult{ProducerID: got.ProducerID, ProducerEpoch: 0}, tp1); err != nil {
		t.Fatalf("next transaction under the new id: %v", err)
	}
}

// TestTV2RecordsReplay: a coordinator that takes over mid-completion keeps
// the bumped epoch and still answers the retry.
func TestTV2RecordsReplay(t *testing.T) {
	h := newHarness(t)
	r := h.mustInit("a")
	if err := h.add("a", r, tp0); err != nil {
		t.Fatal(err)
	}
	got, err := h.endV2("a", r.ProducerID, r.ProducerEpoch, false)
	if err != nil {
		t.Fatal(err)
	}
	h.c.takeJobs() // the failed coordinator never wrote them
	h.c = h.replay()
	jobs := h.completeMarkers() // the new one resumes them
	if len(jobs) != 1 || jobs[0].ProducerEpoch != got.ProducerEpoch || jobs[0].Commit {
		t.Fatalf("resumed markers %+v", jobs)
	}
	if again, err := h.endV2("a", r.ProducerID, r.ProducerEpoch, false); err != nil || again != got {
		t.Fatalf("retry after failover: %+v, %v", again, err)
	}
}
