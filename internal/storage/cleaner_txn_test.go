package storage

import (
	"fmt"
	"testing"
	"time"

	"github.com/strom-project/strom/internal/record"
)

// txnKV builds a transactional batch of recs for pid at epoch 0.
func txnKV(t testing.TB, pid int64, seq int32, recs ...kv) []byte {
	t.Helper()
	return buildKV(t, record.BatchSpec{Transactional: true, ProducerID: pid, BaseSequence: seq, BaseTimestamp: 1000}, recs...)
}

// markers returns the transaction markers in the log by offset, with
// whether each carries a delete horizon.
func (tl *testLog) markers() map[int64]bool {
	tl.t.Helper()
	out := map[int64]bool{}
	for _, b := range tl.readAllBatches() {
		h, _ := record.ParseHeader(b)
		if _, ok, _ := record.ParseEndTxnMarker(b); ok {
			out[h.BaseOffset] = h.Attributes&attrDeleteHorizon != 0
		}
	}
	return out
}

func (tl *testLog) filler(n int) {
	for i := range n {
		tl.append(kvBatch(tl.t, 1000, -1, 0, 0, kv{keyName(i % 3), val("filler")}))
	}
}

// The cleaner drops aborted data without letting it shadow the committed
// value, keeps each marker while it guards data, then removes it one
// delete.retention.ms after it stopped guarding anything (Kafka's
// CleanedTransactionMetadata and KIP-534).
func TestCleanerTransactionMarkersAndAbortedData(t *testing.T) {
	cfg := compactConfig()
	cfg.DeleteRetentionMs = 60_000
	tl := openTestLog(t, cfg)
	tl.append(txnKV(t, 1, 0, kv{"a", val("committed")}))    // 0
	commitA := tl.mustMarker(1, 0, true).BaseOffset         // 1
	tl.append(txnKV(t, 2, 0, kv{"a", val("aborted")}))      // 2
	tl.append(txnKV(t, 2, 1, kv{"only-aborted", val("x")})) // 3
	abort := tl.mustMarker(2, 0, false).BaseOffset          // 4
	// Producer 2's last data batch must stay (empty, RETAIN_EMPTY) to keep
	// its sequence; were it aborted, it would hold the abort marker too.
	tl.append(txnKV(t, 2, 2, kv{"c", val("later")}))
	tl.mustMarker(2, 0, true)
	tl.append(txnKV(t, 3, 0, kv{"b", val("first")}))
	commitB1 := tl.mustMarker(3, 0, true).BaseOffset
	tl.append(txnKV(t, 3, 1, kv{"b", val("second")}))
	commitB2 := tl.mustMarker(3, 0, true).BaseOffset
	tl.filler(30)

	if _, err := tl.cleanNow(-1); err != nil {
		t.Fatal(err)
	}
	latest := map[string]string{}
	for _, r := range tl.records() {
		if r.value == "aborted" || r.key == "only-aborted" {
			t.Fatalf("aborted record %q=%q survived at %d", r.key, r.value, r.offset)
		}
		latest[r.key] = r.value
	}
	if latest["a"] != "committed" || latest["b"] != "second" {
		t.Fatalf("latest a=%q b=%q; want the committed values (an aborted value must not shadow one)", latest["a"], latest["b"])
	}
	m := tl.markers()
	for _, off := range []int64{commitA, abort, commitB1, commitB2} {
		if horizon, ok := m[off]; !ok || horizon {
			t.Fatalf("round 1: marker %d present %v, horizon %v; want every marker kept without a horizon (%v)", off, ok, horizon, m)
		}
	}
	if got := tl.aborted(0, tl.LogEndOffset()); len(got) != 1 || got[0].ProducerID != 2 {
		t.Fatalf("aborted transactions after round 1: %+v; the kept marker keeps its index entry", got)
	}

	// Round 2: the abort guards nothing now, nor does the first commit
	// of producer 3 (its batch was superseded); both get a horizon.
	if _, err := tl.cleanNow(-1); err != nil {
		t.Fatal(err)
	}
	m = tl.markers()
	if !m[abort] || !m[commitB1] || m[commitA] || m[commitB2] || len(m) != 5 {
		t.Fatalf("round 2 horizons %v: want them on the abort (%d) and the first commit of b (%d) only", m, abort, commitB1)
	}
	tl.clock.Advance(59 * time.Second)
	if _, err := tl.cleanNow(-1); err != nil {
		t.Fatal(err)
	}
	if m = tl.markers(); len(m) != 5 {
		t.Fatalf("markers removed before delete.retention.ms: %v", m)
	}
	tl.clock.Advance(2 * time.Second)
	if _, err := tl.cleanNow(-1); err != nil {
		t.Fatal(err)
	}
	m = tl.markers()
	if _, ok := m[abort]; ok {
		t.Fatalf("abort marker kept after its horizon: %v", m)
	}
	if _, ok := m[commitB1]; ok {
		t.Fatalf("commit marker of a superseded transaction kept after its horizon: %v", m)
	}
	if _, ok := m[commitA]; !ok {
		t.Fatalf("commit marker of live data removed: %v", m)
	}
	if got := tl.aborted(0, tl.LogEndOffset()); len(got) != 0 {
		t.Fatalf("aborted transactions listed with no aborted data left: %+v", got)
	}

	// A restart replays the cleaned log: no transaction is left open.
	want := tl.records()
	tl.Close()
	tl.reopen(false, 0)
	if lso, hw := tl.LastStableOffset(), tl.HighWatermark(); lso != hw {
		t.Fatalf("after restart LSO %d != HW %d: replay thinks a transaction is open", lso, hw)
	}
	if got := tl.records(); len(got) != len(want) {
		t.Fatalf("after restart %d records, want %d", len(got), len(want))
	}
}

// A round never cleans past the last stable offset: an open transaction's
// data, and everything after it, waits until the transaction ends.
func TestCleanerStopsAtLastStableOffset(t *testing.T) {
	tl := openTestLog(t, compactConfig())
	tl.filler(10)
	open := tl.LogEndOffset()
	tl.append(txnKV(t, 5, 0, kv{keyName(0), val("pending")}))
	tl.filler(30)
	end, err := tl.cleanNow(-1)
	if err != nil {
		t.Fatal(err)
	}
	if end > open {
		t.Fatalf("round ended at %d, past the open transaction at %d", end, open)
	}
	if got := tl.records(); !hasRecord(got, open, "pending") {
		t.Fatal("the open transaction's record was cleaned away")
	}
	tl.mustMarker(5, 0, false)
	tl.filler(10)
	if end, err = tl.cleanNow(-1); err != nil || end <= open {
		t.Fatalf("after the abort: end %d, err %v; want the round past %d", end, err, open)
	}
	if hasRecord(tl.records(), open, "pending") {
		t.Fatal("aborted record kept once its transaction ended")
	}
}

func hasRecord(recs []stored, off int64, value string) bool {
	for _, r := range recs {
		if r.offset == off && r.value == value {
			return true
		}
	}
	return false
}

// The map is keyed per round; aborted keys in a later segment than the
// committed value must not remove it either, across many segments.
func TestCleanerAbortedOverwritesAcrossSegments(t *testing.T) {
	tl := openTestLog(t, compactConfig())
	for i := range 10 {
		tl.append(kvBatch(t, 1000, -1, 0, 0, kv{fmt.Sprintf("k%d", i), val("good")}))
	}
	for i := range 10 {
		tl.append(txnKV(t, 9, int32(i), kv{fmt.Sprintf("k%d", i), val("bad")}))
	}
	tl.mustMarker(9, 0, false)
	tl.filler(30)
	if _, err := tl.cleanNow(-1); err != nil {
		t.Fatal(err)
	}
	good := 0
	for _, r := range tl.records() {
		switch r.value {
		case "bad":
			t.Fatalf("aborted %s survived at %d", r.key, r.offset)
		case "good":
			good++
		}
	}
	if good != 10 {
		t.Fatalf("%d committed values left, want 10", good)
	}
}
