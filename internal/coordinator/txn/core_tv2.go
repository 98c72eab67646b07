package txn

import (
	"math"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// Transaction version 2 (KIP-890 part 2): a producer that sees the
// cluster's transaction.version at 2 ends every transaction with EndTxn
// v5+, and the coordinator bumps its epoch there. The markers carry the
// bumped epoch, so each partition moves the producer to it, and a batch
// or EndTxn of the ended transaction that arrives late carries an epoch
// that is now fenced everywhere: it can never land in the next
// transaction (KAFKA-17754). The producer continues with the epoch the
// EndTxn answer gives it.

// EndResult is EndTxn's answer. Under transaction version 2 it is the
// producer id and epoch the producer continues with; under version 1 the
// producer keeps its own and the fields are -1.
type EndResult struct {
	ProducerID    int64
	ProducerEpoch int16
}

var noEnd = EndResult{ProducerID: -1, ProducerEpoch: -1}

// endTxnV2 is EndTxn v5+. An EndTxn with the current epoch is always the
// next step of the producer: it ends an ongoing transaction or, as an
// abort, an empty one (which still bumps the epoch). A retry of an EndTxn
// whose answer was lost carries the epoch just below the current one
// (across an exhausted epoch: the previous producer id at the last epoch)
// and gets the same answer again; only a bump made by an EndTxn counts,
// never a fence.
func (c *core) endTxnV2(id string, pid int64, epoch int16, commit bool, now time.Time) (EndResult, error) {
	m := c.txns[id]
	if m == nil {
		return noEnd, kerr.InvalidProducerIDMapping
	}
	retry := isRetryV2(m, pid, epoch)
	if !retry && m.producerID != pid {
		if m.nextProducer == pid && m.state.preparing() {
			return noEnd, kerr.ConcurrentTransactions
		}
		return noEnd, kerr.InvalidProducerIDMapping
	}
	current := !retry && epoch == m.epoch
	sameKind := commit == (m.state == PrepareCommit || m.state == CompleteCommit)
	switch m.state {
	case Ongoing:
		if !current {
			return noEnd, kerr.ProducerFenced
		}
		return c.prepareV2(m, commit, now)
	case Empty, CompleteCommit, CompleteAbort:
		switch {
		case retry && m.state != Empty:
			if sameKind {
				return continuation(m), nil
			}
			return noEnd, kerr.InvalidTxnState
		case !current:
			return noEnd, kerr.ProducerFenced
		case commit:
			return noEnd, kerr.InvalidTxnState // nothing to commit
		}
		return c.prepareV2(m, false, now) // an empty abort: bumps the epoch
	case PrepareCommit, PrepareAbort:
		switch {
		case !retry:
			return noEnd, kerr.ProducerFenced
		case sameKind:
			return noEnd, kerr.ConcurrentTransactions
		}
	}
	return noEnd, kerr.InvalidTxnState
}

// isRetryV2 reports whether (pid, epoch) is the one the transaction's last
// EndTxn came from, while that transaction is completing or complete.
func isRetryV2(m *txnMeta, pid int64, epoch int16) bool {
	if !m.tv2 {
		return false
	}
	switch m.state {
	case PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort:
	default:
		return false
	}
	if pid == m.producerID && int(epoch)+1 == int(m.epoch) {
		return true
	}
	return pid == m.lastProducer && epoch == maxEpoch && m.epoch == 0
}

// continuation is the producer id and epoch the producer goes on with.
func continuation(m *txnMeta) EndResult {
	if m.nextProducer >= 0 {
		return EndResult{ProducerID: m.nextProducer, ProducerEpoch: 0}
	}
	return EndResult{ProducerID: m.producerID, ProducerEpoch: m.epoch}
}

// prepareV2 writes Prepare* with the epoch bumped and queues the markers,
// which carry the bumped epoch. At the last usable epoch the bump reaches
// MaxInt16 and a new producer id is taken for after the markers.
func (c *core) prepareV2(m *txnMeta, commit bool, now time.Time) (EndResult, error) {
	next := m.clone()
	next.tv2, next.lastEpoch = true, -1
	if m.epoch >= maxEpoch {
		newID, err := c.newProducerID()
		if err != nil {
			return noEnd, kerr.CoordinatorNotAvailable
		}
		next.nextProducer = newID
	}
	if m.epoch >= math.MaxInt16 {
		return noEnd, kerr.InvalidTxnState // unreachable: an ongoing epoch is at most maxEpoch
	}
	next.epoch = m.epoch + 1
	next.state = PrepareAbort
	if commit {
		next.state = PrepareCommit
	}
	if err := c.persist(next, now); err != nil {
		return noEnd, err
	}
	c.queueMarkers(next)
	return continuation(next), nil
}
