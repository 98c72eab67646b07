package storage

import (
	"cmp"
	"slices"

	"github.com/strom-project/strom/internal/record"
)

// Transactions in a cleaning round (Kafka's CleanedTransactionMetadata):
//
//   - a data batch of an aborted transaction is dropped whole, and its keys
//     never enter the offset map, so an aborted value cannot shadow the
//     committed one before it;
//   - an ABORT marker stays while the round still met data of its
//     transaction (that data is gone after this round; the next round may
//     start the marker's delete horizon), and its .txnindex entry stays
//     with it;
//   - a COMMIT marker stays while batches of its transaction remain;
//   - a marker that no longer guards anything gets a delete horizon
//     (now + delete.retention.ms, KIP-534) and is removed by the first
//     round after it, so a consumer that read the data has time to read
//     the marker too.
//
// A round never reaches past the last stable offset (cleanable), so every
// transaction it meets is complete and aborted ones are in the .txnindex.

// txnTracker walks the batches of a round in offset order.
type txnTracker struct {
	aborted []abortedTxn // by first offset; consumed from the front
	// ongoingAborted: producers inside an aborted transaction at the walk's
	// position, and whether the walk met one of its data batches.
	ongoingAborted map[int64]*abortedInWalk
	// ongoingCommitted: producers whose current transaction had a batch in
	// the walk and is not aborted.
	ongoingCommitted map[int64]bool
	// kept collects the aborts whose markers the current group keeps; they
	// become the cleaned segment's .txnindex.
	kept []abortedTxn
}

type abortedInWalk struct {
	txn      abortedTxn
	observed bool
}

func newTxnTracker(aborted []abortedTxn) *txnTracker {
	slices.SortStableFunc(aborted, func(a, b abortedTxn) int { return cmp.Compare(a.FirstOffset, b.FirstOffset) })
	return &txnTracker{aborted: aborted, ongoingAborted: map[int64]*abortedInWalk{}, ongoingCommitted: map[int64]bool{}}
}

// consumeUpTo starts tracking the aborted transactions that began at or
// before offset.
func (t *txnTracker) consumeUpTo(offset int64) {
	for len(t.aborted) > 0 && t.aborted[0].FirstOffset <= offset {
		a := t.aborted[0]
		t.aborted = t.aborted[1:]
		t.ongoingAborted[a.ProducerID] = &abortedInWalk{txn: a}
	}
}

// onData reports whether a data batch belongs to an aborted transaction.
func (t *txnTracker) onData(h *record.Header) bool {
	t.consumeUpTo(h.LastOffset())
	if !h.IsTransactional() {
		return false
	}
	if a := t.ongoingAborted[h.ProducerID]; a != nil {
		a.observed = true
		return true
	}
	t.ongoingCommitted[h.ProducerID] = true
	return false
}

// onMarker reports whether a control batch no longer guards any data and
// may start (or finish) its delete horizon; markers it keeps for aborted
// data are remembered for the cleaned .txnindex.
func (t *txnTracker) onMarker(batch []byte, h *record.Header) bool {
	t.consumeUpTo(h.LastOffset())
	m, ok, err := record.ParseEndTxnMarker(batch)
	if err != nil || !ok {
		return false // not a transaction marker (or unreadable): keep it
	}
	pid := h.ProducerID
	if m.Type == record.ControlAbort {
		a := t.ongoingAborted[pid]
		delete(t.ongoingAborted, pid)
		if a != nil && a.observed {
			t.kept = append(t.kept, a.txn)
			return false
		}
		return true
	}
	had := t.ongoingCommitted[pid]
	delete(t.ongoingCommitted, pid)
	return !had
}

// takeKept returns the aborts kept so far and starts a new group.
func (t *txnTracker) takeKept() []abortedTxn {
	k := t.kept
	t.kept = nil
	return k
}

// abortsFor returns the .txnindex entries of every aborted transaction
// overlapping [from, upTo), from the segment holding from onwards (an
// entry lives in its marker's segment, which may be past upTo).
func (l *Log) abortsFor(from, upTo int64) []abortedTxn {
	l.segMu.RLock()
	segs := append([]*segment(nil), l.segments...)
	l.segMu.RUnlock()
	var out []abortedTxn
	for _, s := range segs[max(segmentFor(segs, from), 0):] {
		for _, e := range s.txn.entries() {
			if e.LastOffset >= from && e.FirstOffset < upTo {
				out = append(out, e)
			}
			if e.LastStableOffset >= upTo {
				return out
			}
		}
	}
	return out
}
