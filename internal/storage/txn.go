package storage

import (
	"fmt"

	"github.com/strom-project/strom/internal/record"
)

// Transactions in the log (KIP-98), Kafka's ProducerStateManager and
// UnifiedLog parts: a transactional batch opens a transaction for its
// producer, a COMMIT or ABORT marker written by the coordinator closes it,
// an ABORT is recorded in the active segment's .txnindex, and the last
// stable offset (LSO) stops read_committed consumers before the first
// offset of any transaction still open.

// checkMarker applies Kafka's checks to a coordinator's transaction marker:
// a marker from an older producer epoch is refused (INVALID_PRODUCER_EPOCH)
// and one from an older coordinator epoch is fenced.
func checkMarker(cur *producerState, h *record.Header, m *record.EndTxnMarker) error {
	if cur == nil {
		return nil
	}
	if h.ProducerEpoch < cur.Epoch {
		return fmt.Errorf("%w: producer %d marker epoch %d < %d", ErrInvalidProducerEpoch, h.ProducerID, h.ProducerEpoch, cur.Epoch)
	}
	if m != nil && m.CoordinatorEpoch < cur.CoordinatorEpoch {
		return fmt.Errorf("%w: producer %d marker coordinator epoch %d < %d", ErrCoordinatorFenced, h.ProducerID, m.CoordinatorEpoch, cur.CoordinatorEpoch)
	}
	return nil
}

// afterTxnUpdatesLocked runs once new producer states are installed:
// aborted transactions go to the active segment's index and the first
// unstable offset is recomputed.
func (l *Log) afterTxnUpdatesLocked(completed []completedTxn) error {
	var err error
	for _, c := range completed {
		if c.Aborted && err == nil {
			err = l.indexAbortLocked(l.active(), c)
		}
	}
	l.refreshUnstableLocked()
	return err
}

// indexAbortLocked writes an aborted transaction to s's .txnindex. Its LSO
// is where the log becomes stable once this transaction is over: the
// first offset of another ongoing transaction, else just past the marker.
func (l *Log) indexAbortLocked(s *segment, c completedTxn) error {
	lso := l.producers.firstUnstable(c.ProducerID)
	if lso < 0 || lso > c.LastOffset {
		lso = c.LastOffset + 1
	}
	return s.txn.add(abortedTxn{c.ProducerID, c.FirstOffset, c.LastOffset, lso})
}

func (l *Log) refreshUnstableLocked() {
	l.firstUnstable.Store(l.producers.firstUnstable(-1))
}

// FirstUnstableOffset is the first offset of the oldest ongoing
// transaction, or -1 when none is open.
func (l *Log) FirstUnstableOffset() int64 { return l.firstUnstable.Load() }

// LastStableOffset is the LSO: the HW, held back to the first offset of the
// oldest ongoing transaction. read_committed fetches stop here.
func (l *Log) LastStableOffset() int64 {
	hw := l.hw.Load()
	if fu := l.firstUnstable.Load(); fu >= 0 && fu < hw {
		// A transaction whose start retention or DeleteRecords removed
		// cannot hold the LSO below the log start.
		return max(fu, l.lso.Load())
	}
	return hw
}

// AbortedTransactions lists the aborted transactions overlapping the fetch
// range [from, upTo) (Kafka's collectAbortedTransactions): those whose
// ABORT marker is at or after from and whose first offset is below upTo.
// Their markers lie in the segment holding from or later ones.
func (l *Log) AbortedTransactions(from, upTo int64) ([]AbortedTxn, error) {
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	if l.closed.Load() || len(l.segments) == 0 {
		return nil, ErrLogClosed
	}
	var out []AbortedTxn
	for i := max(segmentFor(l.segments, from), 0); i < len(l.segments); i++ {
		var done bool
		var err error
		if out, done, err = l.segments[i].txn.collect(from, upTo, out); err != nil || done {
			return out, err
		}
	}
	return out, nil
}

func anyTransactional(batches []pendingBatch) bool {
	for i := range batches {
		if batches[i].h.IsTransactional() {
			return true
		}
	}
	return false
}

// replayBatchLocked applies a batch already in segment s to producer state
// (recovery, truncation) and re-derives its .txnindex entry if it is an
// ABORT marker.
func (l *Log) replayBatchLocked(s *segment, b []byte, h *record.Header) error {
	var m *record.EndTxnMarker
	if h.IsControl() {
		if mk, ok, err := record.ParseEndTxnMarker(b); err == nil && ok {
			m = &mk
		}
	}
	done, ok := l.producers.apply(h, m)
	if ok && done.Aborted {
		return l.indexAbortLocked(s, done)
	}
	return nil
}
