package group

import (
	"testing"
	"time"

	"github.com/strom-project/strom/internal/record"
)

// txnBatches records what writeTxn was asked to write, as real batches.
type txnBatches struct {
	*memJournal
	batches [][]byte
}

func (j *txnBatches) writeTxn(now time.Time, pid int64, epoch int16, recs []kv) error {
	if j.fail != nil {
		return j.fail
	}
	b, err := record.Build(nil, record.BatchSpec{BaseTimestamp: now.UnixMilli(), Transactional: true,
		ProducerID: pid, ProducerEpoch: epoch, BaseSequence: 0, Records: kvRecords(recs)})
	if err != nil {
		return err
	}
	j.batches = append(j.batches, b)
	return nil
}

func kvRecords(recs []kv) []record.NewRecord {
	out := make([]record.NewRecord, len(recs))
	for i, r := range recs {
		out[i] = record.NewRecord{Key: r.key, Value: r.value}
	}
	return out
}

func (j *txnBatches) marker(t *testing.T, pid int64, commit bool) {
	t.Helper()
	b, err := record.BuildEndTxnMarker(nil, pid, 0, commit, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	j.batches = append(j.batches, b)
}

func txnReq(group string, pid int64, offs ...CommitOffset) TxnCommitRequest {
	return TxnCommitRequest{TransactionalID: "tx", ProducerID: pid, Group: group, Generation: -1, Offsets: offs}
}

func offsetOf(c *core, group string, tp TopicPartition) int64 {
	for _, o := range c.fetch(group, []TopicPartition{tp}) {
		return o.Offset
	}
	return -2
}

func TestTxnOffsetsPendingUntilMarker(t *testing.T) {
	h := newHarness(t)
	j := &txnBatches{memJournal: h.j}
	h.c.j = j
	t0 := TopicPartition{"t", 0}
	for _, err := range h.c.txnCommit(h.now, txnReq("g", 5, co("t", 0, 10))) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := offsetOf(h.c, "g", t0); got != -1 {
		t.Fatalf("pending offset visible: %d", got)
	}
	if !h.c.hasPendingTxnOffset("g", t0) {
		t.Fatal("no pending offset")
	}
	h.c.completeTxn(h.now, 5, true)
	if got := offsetOf(h.c, "g", t0); got != 10 {
		t.Fatalf("after COMMIT marker: %d, want 10", got)
	}
	h.c.txnCommit(h.now, txnReq("g", 6, co("t", 0, 20)))
	h.c.completeTxn(h.now, 6, false)
	if got := offsetOf(h.c, "g", t0); got != 10 || h.c.hasPendingTxnOffset("g", t0) {
		t.Fatalf("after ABORT marker: %d, want 10 and nothing pending", got)
	}
	// A member's commit with a stale generation is fenced (KIP-447).
	ids, gen := h.stableGroup("live", 1, "t")
	req := txnReq("live", 7, co("t", 0, 1))
	req.MemberID, req.Generation = ids[0], gen-1
	if errs := h.c.txnCommit(h.now, req); errs[0] != ErrIllegalGeneration {
		t.Fatalf("stale generation: %v", errs)
	}
}

func TestTxnOffsetsLoad(t *testing.T) {
	h := newHarness(t)
	j := &txnBatches{memJournal: h.j}
	h.c.j = j
	h.c.txnCommit(h.now, txnReq("g", 5, co("t", 0, 10)))
	j.marker(t, 5, true)
	h.c.txnCommit(h.now, txnReq("g", 6, co("t", 0, 20)))
	j.marker(t, 6, false)
	h.c.txnCommit(h.now, txnReq("g", 7, co("t", 1, 30))) // open at the failover

	l := newLoader()
	for _, b := range j.batches {
		if err := l.batch(b); err != nil {
			t.Fatal(err)
		}
	}
	h2 := newHarness(t)
	l.finish(h2.c, h2.now)
	h2.c.start(h2.now)
	if got := offsetOf(h2.c, "g", TopicPartition{"t", 0}); got != 10 {
		t.Fatalf("loaded t-0 = %d, want the committed 10", got)
	}
	if got := offsetOf(h2.c, "g", TopicPartition{"t", 1}); got != -1 {
		t.Fatalf("loaded t-1 = %d, want pending (-1)", got)
	}
	h2.c.completeTxn(h2.now, 7, true)
	if got := offsetOf(h2.c, "g", TopicPartition{"t", 1}); got != 30 {
		t.Fatalf("t-1 after the marker = %d, want 30", got)
	}
}

// TestGroupWithPendingTxnOffsetsNotExpired: the retention pass deletes an
// Empty group without offsets, but not while a transaction has offsets of
// it pending.
func TestGroupWithPendingTxnOffsetsNotExpired(t *testing.T) {
	h := newHarness(t)
	h.c.j = &txnBatches{memJournal: h.j}
	h.c.txnCommit(h.now, txnReq("g", 5, co("t", 0, 10)))
	h.advance(h.c.cfg.RetentionCheckInterval)
	if h.c.groups["g"] == nil {
		t.Fatal("group with pending transactional offsets deleted")
	}
	h.c.completeTxn(h.now, 5, false)
	h.advance(h.c.cfg.RetentionCheckInterval)
	if h.c.groups["g"] != nil {
		t.Fatal("empty group kept after its transaction aborted")
	}
}
