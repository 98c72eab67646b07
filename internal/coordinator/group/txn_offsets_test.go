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

// write records plain (non-transactional) writes as batches too, in order
// with the transactional ones, so that a replay sees both.
func (j *txnBatches) write(now time.Time, recs []kv) error {
	if err := j.memJournal.write(now, recs); err != nil {
		return err
	}
	b, err := record.Build(nil, record.BatchSpec{BaseTimestamp: now.UnixMilli(), ProducerID: -1, ProducerEpoch: -1,
		BaseSequence: -1, Records: kvRecords(recs)})
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

// TestDeleteGroupDropsPendingTxnOffsets: deleting a group drops the
// offsets a transaction has pending for it, as Kafka does: the
// transaction's COMMIT then brings nothing back, in memory and on replay.
func TestDeleteGroupDropsPendingTxnOffsets(t *testing.T) {
	h := newHarness(t)
	j := &txnBatches{memJournal: h.j}
	h.c.j = j
	t0, t1 := TopicPartition{"t", 0}, TopicPartition{"t", 1}
	h.c.txnCommit(h.now, txnReq("g", 5, co("t", 0, 10)))
	j.marker(t, 5, true)
	h.c.completeTxn(h.now, 5, true)
	h.c.txnCommit(h.now, txnReq("g", 6, co("t", 0, 20), co("t", 1, 30))) // pending
	if err := h.c.deleteGroup(h.now, "g"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if h.c.hasPendingTxnOffsets("g") {
		t.Fatal("pending offsets survived the delete")
	}
	j.marker(t, 6, true)
	h.c.completeTxn(h.now, 6, true)
	for _, tp := range []TopicPartition{t0, t1} {
		if got := offsetOf(h.c, "g", tp); got != -1 {
			t.Fatalf("%v after the commit that followed the delete: %d, want none", tp, got)
		}
	}

	l := newLoader()
	for _, b := range j.batches {
		if err := l.batch(b); err != nil {
			t.Fatal(err)
		}
	}
	h2 := newHarness(t)
	l.finish(h2.c, h2.now)
	for _, tp := range []TopicPartition{t0, t1} {
		if got := offsetOf(h2.c, "g", tp); got != -1 {
			t.Fatalf("%v replayed: %d, want none", tp, got)
		}
	}
}

// TestFetchReportsUnstableOffsets: a partition with a transactional offset
// pending is marked unstable (OffsetFetch require_stable) until the marker.
func TestFetchReportsUnstableOffsets(t *testing.T) {
	h := newHarness(t)
	h.c.j = &txnBatches{memJournal: h.j}
	t0, t1 := TopicPartition{"t", 0}, TopicPartition{"t", 1}
	h.c.txnCommit(h.now, txnReq("g", 5, co("t", 0, 10)))
	got := h.c.fetch("g", []TopicPartition{t0, t1})
	if !got[0].Unstable || got[1].Unstable {
		t.Fatalf("fetch while pending: %+v", got)
	}
	h.c.completeTxn(h.now, 5, true)
	if got := h.c.fetch("g", []TopicPartition{t0}); got[0].Unstable || got[0].Offset != 10 {
		t.Fatalf("fetch after COMMIT: %+v", got)
	}
}
