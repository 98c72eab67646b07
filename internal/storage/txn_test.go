package storage

import (
	"errors"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/strom-project/strom/internal/record"
)

// txnBatch builds a transactional batch of n records for pid.
func txnBatch(t testing.TB, pid int64, epoch int16, seq int32, n int) []byte {
	t.Helper()
	recs := make([]record.NewRecord, n)
	for i := range recs {
		recs[i] = record.NewRecord{Key: []byte("k"), Value: []byte("v")}
	}
	b, err := record.Build(nil, record.BatchSpec{Transactional: true, ProducerID: pid, ProducerEpoch: epoch, BaseSequence: seq, Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// appendMarker writes a COMMIT/ABORT marker as the coordinator would.
func (tl *testLog) appendMarker(pid int64, epoch int16, commit bool, coordEpoch int32) (AppendResult, error) {
	tl.t.Helper()
	// Timestamp 0 like mkBatch's: a real clock here would roll segments.
	b, err := record.BuildEndTxnMarker(nil, pid, epoch, commit, coordEpoch, 0)
	if err != nil {
		tl.t.Fatal(err)
	}
	res, err := tl.Append(b, AppendOptions{LeaderEpoch: 1, RequiredAcks: -1, Origin: AppendCoordinator})
	if err == nil {
		tl.SetHighWatermark(tl.LogEndOffset())
	}
	return res, err
}

func (tl *testLog) mustMarker(pid int64, epoch int16, commit bool) AppendResult {
	tl.t.Helper()
	res, err := tl.appendMarker(pid, epoch, commit, 0)
	if err != nil {
		tl.t.Fatalf("marker: %v", err)
	}
	return res
}

func (tl *testLog) aborted(from, upTo int64) []AbortedTxn {
	tl.t.Helper()
	a, err := tl.AbortedTransactions(from, upTo)
	if err != nil {
		tl.t.Fatal(err)
	}
	return a
}

func TestTxnLastStableOffset(t *testing.T) {
	tl := openTestLog(t, LogConfig{})
	tl.append(mkBatch(t, batchOpt{n: 1}))     // 0
	res := tl.append(txnBatch(t, 7, 0, 0, 2)) // 1-2: opens a transaction
	tl.append(mkBatch(t, batchOpt{n: 1}))     // 3
	tl.append(txnBatch(t, 8, 0, 0, 1))        // 4: a second one
	if hw, lso := tl.HighWatermark(), tl.LastStableOffset(); hw != 5 || lso != res.BaseOffset {
		t.Fatalf("HW %d LSO %d, want 5 and %d", hw, lso, res.BaseOffset)
	}
	tl.mustMarker(7, 0, true) // 5: commit the first
	if lso := tl.LastStableOffset(); lso != 4 {
		t.Fatalf("LSO after commit of 7 = %d, want 4 (8 still open)", lso)
	}
	tl.mustMarker(8, 0, true) // 6
	if lso, fu := tl.LastStableOffset(), tl.FirstUnstableOffset(); lso != 7 || fu != -1 {
		t.Fatalf("LSO %d first unstable %d, want 7 and -1", lso, fu)
	}
	if a := tl.aborted(0, 7); len(a) != 0 {
		t.Fatalf("commits indexed as aborts: %+v", a)
	}
	// The LSO never passes the HW.
	tl.append(mkBatch(t, batchOpt{n: 1}))
	tl.SetHighWatermark(6)
	if lso := tl.LastStableOffset(); lso != 6 {
		t.Fatalf("LSO %d above HW 6", lso)
	}
}

func TestTxnAbortWritesIndex(t *testing.T) {
	tl := openTestLog(t, LogConfig{})
	tl.append(txnBatch(t, 7, 0, 0, 3)) // 0-2
	tl.append(txnBatch(t, 9, 0, 0, 1)) // 3: open across the abort
	m := tl.mustMarker(7, 0, false)    // 4
	tl.append(txnBatch(t, 7, 0, 3, 1)) // 5: the next transaction of 7
	m2 := tl.mustMarker(7, 0, false)   // 6
	want := []AbortedTxn{{7, 0}, {7, 5}}
	if got := tl.aborted(0, tl.LogEndOffset()); !reflect.DeepEqual(got, want) {
		t.Fatalf("aborted %+v, want %+v", got, want)
	}
	// Only transactions overlapping the range: [5, 7) misses the first.
	if got := tl.aborted(m.BaseOffset+1, m2.BaseOffset+1); !reflect.DeepEqual(got, want[1:]) {
		t.Fatalf("aborted in [5,7) %+v", got)
	}
	ents := tl.active().txn.entries()
	if len(ents) != 2 || ents[0] != (abortedTxn{7, 0, 4, 3}) {
		t.Fatalf("index entries %+v (the first LSO is 3: producer 9 is open)", ents)
	}
	st, err := os.Stat(segmentName(tl.dir, 0, txnIndexSuffix))
	if err != nil || st.Size() != 2*txnEntrySize {
		t.Fatalf("txnindex file: %v %v", st, err)
	}
}

func TestTxnMarkerFencing(t *testing.T) {
	tl := openTestLog(t, LogConfig{})
	tl.append(txnBatch(t, 7, 3, 0, 1))
	if _, err := tl.appendMarker(7, 2, true, 0); !errors.Is(err, ErrInvalidProducerEpoch) {
		t.Fatalf("marker with an older producer epoch: %v", err)
	}
	if _, err := tl.appendMarker(7, 3, false, 5); err != nil {
		t.Fatal(err)
	}
	if _, err := tl.appendMarker(7, 3, true, 4); !errors.Is(err, ErrCoordinatorFenced) {
		t.Fatalf("marker from an older coordinator: %v", err)
	}
	// Clients cannot write markers.
	b, _ := record.BuildEndTxnMarker(nil, 7, 3, true, 5, 0)
	if _, err := tl.Append(b, AppendOptions{}); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("client marker: %v", err)
	}
}

func TestAbortedTransactionsAcrossSegments(t *testing.T) {
	tl := openTestLog(t, LogConfig{SegmentBytes: 300})
	first := tl.append(txnBatch(t, 7, 0, 0, 1)).BaseOffset // segment 0
	for i := 0; i < 6; i++ {
		tl.append(mkBatch(t, batchOpt{n: 1, size: 100}))
	}
	tl.mustMarker(7, 0, false)
	late := tl.append(txnBatch(t, 8, 0, 0, 1)).BaseOffset
	tl.mustMarker(8, 0, false)
	if tl.NumSegments() < 3 {
		t.Fatalf("want the abort several segments after its start, have %d segments", tl.NumSegments())
	}
	// A fetch of the middle, in a segment with no index of its own, needs
	// the abort indexed in a later segment.
	if got := tl.aborted(2, 4); !reflect.DeepEqual(got, []AbortedTxn{{7, first}}) {
		t.Fatalf("aborted in [2,4): %+v", got)
	}
	if got := tl.aborted(0, tl.LogEndOffset()); !reflect.DeepEqual(got, []AbortedTxn{{7, first}, {8, late}}) {
		t.Fatalf("all aborted: %+v", got)
	}
}

func TestTxnRecoveryAfterCrash(t *testing.T) {
	tl := openTestLog(t, LogConfig{SegmentBytes: 400})
	tl.append(txnBatch(t, 7, 0, 0, 1))
	tl.mustMarker(7, 0, false)
	for i := 0; i < 4; i++ {
		tl.append(mkBatch(t, batchOpt{n: 1, size: 100}))
	}
	open := tl.append(txnBatch(t, 9, 0, 0, 1)).BaseOffset // still open at the crash
	tl.append(txnBatch(t, 7, 0, 1, 1))
	abort2 := tl.mustMarker(7, 0, false)
	tl.append(mkBatch(t, batchOpt{n: 1}))
	wantAborted := tl.aborted(0, tl.LogEndOffset())
	if len(wantAborted) != 2 {
		t.Fatalf("before crash: %+v", wantAborted)
	}
	seg := tl.segments[segmentFor(tl.segments, abort2.BaseOffset)]
	tl.crash()
	// The last abort's index entry never reached the disk.
	if err := os.Remove(segmentName(tl.dir, seg.base, txnIndexSuffix)); err != nil {
		t.Fatal(err)
	}
	tl.reopen(false, 0)
	if fu := tl.FirstUnstableOffset(); fu != open {
		t.Fatalf("first unstable after recovery %d, want %d", fu, open)
	}
	tl.SetHighWatermark(tl.LogEndOffset())
	if lso := tl.LastStableOffset(); lso != open {
		t.Fatalf("LSO after recovery %d, want %d", lso, open)
	}
	if got := tl.aborted(0, tl.LogEndOffset()); !reflect.DeepEqual(got, wantAborted) {
		t.Fatalf("aborted after recovery %+v, want %+v", got, wantAborted)
	}
	// And through a clean restart (snapshot at Close).
	tl.Close()
	tl.reopen(true, 0)
	if fu := tl.FirstUnstableOffset(); fu != open {
		t.Fatalf("first unstable after clean restart %d, want %d", fu, open)
	}
}

func TestTxnTruncateBelowMarker(t *testing.T) {
	tl := openTestLog(t, LogConfig{})
	tl.append(mkBatch(t, batchOpt{n: 1}))
	first := tl.append(txnBatch(t, 7, 0, 0, 2)).BaseOffset
	m := tl.mustMarker(7, 0, false)
	if tl.FirstUnstableOffset() != -1 || len(tl.aborted(0, 10)) != 1 {
		t.Fatal("abort not applied")
	}
	if err := tl.TruncateTo(m.BaseOffset); err != nil {
		t.Fatal(err)
	}
	if got := tl.aborted(0, 10); len(got) != 0 {
		t.Fatalf("abort survived truncation of its marker: %+v", got)
	}
	if fu := tl.FirstUnstableOffset(); fu != first {
		t.Fatalf("transaction not open again after truncation: %d, want %d", fu, first)
	}
	if st, err := os.Stat(segmentName(tl.dir, 0, txnIndexSuffix)); err != nil || st.Size() != 0 {
		t.Fatalf("txnindex after truncation: %v %v", st, err)
	}
	// Truncating everything forgets the transaction.
	if err := tl.TruncateTo(0); err != nil {
		t.Fatal(err)
	}
	if fu := tl.FirstUnstableOffset(); fu != -1 {
		t.Fatalf("first unstable %d after full truncation", fu)
	}
}

// A follower replicating the leader's batches, markers included, ends
// with the same transaction state and index.
func TestTxnReplicatedMarkers(t *testing.T) {
	leader := openTestLog(t, LogConfig{})
	leader.append(txnBatch(t, 7, 0, 0, 2))
	leader.append(txnBatch(t, 8, 0, 0, 1))
	leader.mustMarker(7, 0, false)
	follower := openTestLog(t, LogConfig{})
	res, err := leader.Read(0, 1<<20, true, leader.LogEndOffset())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := follower.Append(res.Records, AppendOptions{Origin: AppendReplication}); err != nil {
		t.Fatal(err)
	}
	follower.SetHighWatermark(follower.LogEndOffset())
	if got, want := follower.aborted(0, 10), leader.aborted(0, 10); !reflect.DeepEqual(got, want) || len(got) != 1 {
		t.Fatalf("follower aborted %+v, leader %+v", got, want)
	}
	if fu := follower.FirstUnstableOffset(); fu != 2 {
		t.Fatalf("follower first unstable %d, want 2 (producer 8)", fu)
	}
}

func txnIndexFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if _, ok := parseOffsetName(e.Name(), txnIndexSuffix); ok {
			out = append(out, e.Name())
		}
	}
	return out
}

// Segment deletion takes the segment's .txnindex with it, and the LSO never
// stays below the log start.
func TestTxnIndexDeletedWithSegment(t *testing.T) {
	tl := openTestLog(t, LogConfig{SegmentBytes: 300, FileDeleteDelayMs: 1})
	tl.append(txnBatch(t, 7, 0, 0, 1))
	tl.mustMarker(7, 0, false)
	open := tl.append(txnBatch(t, 8, 0, 0, 1)).BaseOffset
	for i := 0; i < 6; i++ {
		tl.append(mkBatch(t, batchOpt{n: 1, size: 100}))
	}
	if got := txnIndexFiles(t, tl.dir); len(got) != 1 {
		t.Fatalf("txnindex files %v", got)
	}
	if err := tl.DeleteRecordsBefore(tl.LogEndOffset() - 1); err != nil {
		t.Fatal(err)
	}
	if lso := tl.LastStableOffset(); lso != tl.LogStartOffset() || lso <= open {
		t.Fatalf("LSO %d with log start %d (the open transaction began at %d)", lso, tl.LogStartOffset(), open)
	}
	if _, err := tl.DeleteOldSegments(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, func() bool { return len(txnIndexFiles(t, tl.dir)) == 0 })
	if a := tl.aborted(tl.LogStartOffset(), tl.LogEndOffset()); len(a) != 0 {
		t.Fatalf("aborted after deletion: %+v", a)
	}
	if err := tl.TruncateFullyAndStartAt(100); err != nil {
		t.Fatal(err)
	}
	if fu := tl.FirstUnstableOffset(); fu != -1 {
		t.Fatalf("first unstable %d after TruncateFullyAndStartAt", fu)
	}
}

// InTransaction: true from a producer's first transactional batch until
// its marker, only for that epoch (the produce path skips KIP-890
// verification then).
func TestInTransaction(t *testing.T) {
	tl := openTestLog(t, LogConfig{})
	if tl.InTransaction(7, 0) {
		t.Fatal("unknown producer in a transaction")
	}
	tl.append(txnBatch(t, 7, 0, 0, 2))
	if !tl.InTransaction(7, 0) || tl.InTransaction(7, 1) || tl.InTransaction(8, 0) {
		t.Fatal("open transaction of producer 7 epoch 0 not seen alone")
	}
	tl.mustMarker(7, 0, false)
	if tl.InTransaction(7, 0) {
		t.Fatal("still in a transaction after its ABORT marker")
	}
}
