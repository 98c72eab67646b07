package txn

import (
	"errors"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/strom-project/strom/internal/replica"
	"github.com/strom-project/strom/internal/storage"
)

// kv is one __transaction_state record; a nil value is a tombstone.
type kv struct{ key, value []byte }

// journal persists records to the partition; write returns once they are
// committed. The core changes memory only after a successful write.
type journal interface {
	write(now time.Time, recs []kv) error
}

// MarkerJob asks the partitions' leaders to write a transaction marker.
// The shard runs it, retrying until every leader has written it, then
// calls the core's markersWritten.
type MarkerJob struct {
	TransactionalID string
	ProducerID      int64
	ProducerEpoch   int16
	Commit          bool
	Partitions      []TopicPartition
}

// core is the deterministic state machine of one __transaction_state
// partition: every transactional id that hashes to it. It does no I/O but
// through its journal, reads no clock (callers pass now) and starts no
// goroutines; marker writes it needs are queued (takeJobs). It is not safe
// for concurrent use: a shard's goroutine owns it.
type core struct {
	cfg    Config
	j      journal
	logger *slog.Logger
	// newProducerID allocates a producer id (controller blocks).
	newProducerID func() (int64, error)

	txns       map[string]*txnMeta
	jobs       []MarkerJob
	nextAbort  time.Time // next timed-out-transaction pass; zero: not started
	nextExpire time.Time // next expired-id pass
}

func newCore(cfg Config, j journal, newProducerID func() (int64, error), logger *slog.Logger) *core {
	return &core{cfg: cfg, j: j, newProducerID: newProducerID, logger: logger, txns: map[string]*txnMeta{}}
}

// start arms the periodic passes and queues markers for transactions
// loaded mid-completion (their coordinator failed after Prepare*).
func (c *core) start(now time.Time) {
	c.nextAbort = now.Add(c.cfg.AbortCheckInterval)
	c.nextExpire = now.Add(c.cfg.ExpiryInterval)
	for _, m := range c.txns {
		if m.state.preparing() {
			c.queueMarkers(m)
		}
	}
}

// persist writes m's new state and installs it on success.
func (c *core) persist(next *txnMeta, now time.Time) error {
	next.updated = now
	if err := c.j.write(now, []kv{{txnKey(next.id), txnValue(next)}}); err != nil {
		c.logger.Warn("writing transaction state failed", "transactional.id", next.id, "err", err)
		return writeErr(err)
	}
	c.txns[next.id] = next
	return nil
}

// writeErr maps a failed append to the client's error (Kafka's
// TransactionStateManager mapping): a lost leadership or broken disk means
// another broker must coordinate; anything else is retriable here.
func writeErr(err error) error {
	switch {
	case errors.Is(err, storage.ErrRecordTooLarge):
		return kerr.UnknownServerError
	case errors.Is(err, storage.ErrLogClosed), errors.Is(err, replica.ErrNotLeader),
		errors.Is(err, replica.ErrUnknownTopicOrPartition), errors.Is(err, storage.ErrStorage):
		return kerr.NotCoordinator
	}
	return kerr.CoordinatorNotAvailable
}

// InitResult is InitProducerId's answer.
type InitResult struct {
	ProducerID    int64
	ProducerEpoch int16
	Err           error
}

// initProducer is InitProducerId with a transactional id. pid/epoch are
// the producer's current ones (v3+, KIP-360), -1 when it has none.
func (c *core) initProducer(id string, timeout time.Duration, pid int64, epoch int16, now time.Time) InitResult {
	fail := func(err error) InitResult { return InitResult{ProducerID: -1, ProducerEpoch: -1, Err: err} }
	if timeout <= 0 || timeout > c.cfg.MaxTimeout {
		return fail(kerr.InvalidTransactionTimeout)
	}
	m := c.txns[id]
	if m == nil {
		newID, err := c.newProducerID()
		if err != nil {
			return fail(kerr.CoordinatorNotAvailable)
		}
		m = &txnMeta{id: id, producerID: newID, lastProducer: -1, nextProducer: -1, epoch: -1, lastEpoch: -1, state: Empty, partitions: map[TopicPartition]bool{}}
	}
	if m.state.preparing() {
		// Markers of the previous transaction are still being written:
		// the producer retries until they are.
		return fail(kerr.ConcurrentTransactions)
	}
	if pid >= 0 && m.epoch >= 0 {
		// A just-created id (epoch -1) takes any producer: it recovers
		// one whose id expired. Otherwise (KIP-360) a producer that
		// knows its id may only re-init as the current producer, or
		// retry the init that bumped it.
		current := pid == m.producerID && epoch == m.epoch
		retried := pid == m.producerID && epoch == m.lastEpoch || pid == m.lastProducer && m.epoch == 0
		if !current && !retried {
			return fail(kerr.ProducerFenced)
		}
		if retried && m.state == Empty {
			// The answer to the init that bumped the epoch was lost.
			return InitResult{ProducerID: m.producerID, ProducerEpoch: m.epoch}
		}
	}
	next := m.clone()
	next.timeout = timeout
	if m.state == Ongoing {
		// A new producer instance takes over: abort what the old one left
		// open, with the bumped epoch so the old one is fenced, and have
		// the new one retry until the abort completes (as Kafka).
		fenceEpoch(next)
		next.state = PrepareAbort
		if err := c.persist(next, now); err != nil {
			return fail(err)
		}
		c.queueMarkers(next)
		return fail(kerr.ConcurrentTransactions)
	}
	if err := c.bumpEpoch(next); err != nil {
		return fail(err)
	}
	next.state, next.partitions, next.start = Empty, map[TopicPartition]bool{}, time.Time{}
	if err := c.persist(next, now); err != nil {
		return fail(err)
	}
	return InitResult{ProducerID: next.producerID, ProducerEpoch: next.epoch}
}

// fenceEpoch bumps the epoch of an ongoing transaction that is being
// aborted against its producer's will (a new instance, or its timeout).
// The producer id stays, even at the last epoch, because the abort
// markers must reach the partitions under it; an ongoing epoch is at most
// maxEpoch, so the bump fits, and the next InitProducerId moves to a new id.
func fenceEpoch(m *txnMeta) {
	m.lastEpoch, m.tv2 = m.epoch, false
	m.epoch++
}

// bumpEpoch fences the current producer: epoch+1, or a new producer id
// when the epoch is exhausted.
func (c *core) bumpEpoch(m *txnMeta) error {
	m.lastEpoch, m.tv2 = m.epoch, false
	if m.epoch < maxEpoch {
		m.epoch++
		return nil
	}
	newID, err := c.newProducerID()
	if err != nil {
		return kerr.CoordinatorNotAvailable
	}
	m.lastProducer, m.producerID, m.epoch, m.lastEpoch = m.producerID, newID, 0, -1
	return nil
}

// check validates a producer's id and epoch against the transaction.
func (c *core) check(id string, pid int64, epoch int16) (*txnMeta, error) {
	m := c.txns[id]
	switch {
	case m != nil && m.nextProducer == pid && m.state.preparing():
		// TV2 moved the producer to its next id (epoch exhausted) and the
		// markers of its last transaction are still being written.
		return nil, kerr.ConcurrentTransactions
	case m == nil || m.producerID != pid:
		return nil, kerr.InvalidProducerIDMapping
	case epoch != m.epoch:
		return nil, kerr.ProducerFenced
	}
	return m, nil
}

// addPartitions is AddPartitionsToTxn (and AddOffsetsToTxn, with the
// group's offsets partition). verifyOnly (KIP-890) only checks that the
// partitions are already in the ongoing transaction.
func (c *core) addPartitions(id string, pid int64, epoch int16, tps []TopicPartition, verifyOnly bool, now time.Time) error {
	m, err := c.check(id, pid, epoch)
	if err != nil {
		return err
	}
	if verifyOnly {
		for _, tp := range tps {
			if m.state != Ongoing || !m.partitions[tp] {
				return kerr.InvalidTxnState
			}
		}
		return nil
	}
	if m.state.preparing() {
		return kerr.ConcurrentTransactions
	}
	if m.state == Ongoing {
		missing := false
		for _, tp := range tps {
			missing = missing || !m.partitions[tp]
		}
		if !missing {
			return nil
		}
	}
	next := m.clone()
	if m.state != Ongoing {
		next.state, next.start, next.partitions = Ongoing, now, map[TopicPartition]bool{}
	}
	for _, tp := range tps {
		next.partitions[tp] = true
	}
	return c.persist(next, now)
}

// endTxn is EndTxn: Prepare* is written and answered; markers follow.
func (c *core) endTxn(id string, pid int64, epoch int16, commit bool, now time.Time) error {
	m, err := c.check(id, pid, epoch)
	if err != nil {
		return err
	}
	switch {
	case m.state == Ongoing:
	case commit && m.state == CompleteCommit, !commit && m.state == CompleteAbort:
		return nil // a retry of an EndTxn that completed
	case commit && m.state == PrepareCommit, !commit && m.state == PrepareAbort:
		return kerr.ConcurrentTransactions
	default:
		return kerr.InvalidTxnState
	}
	next := m.clone()
	next.state = PrepareAbort
	if commit {
		next.state = PrepareCommit
	}
	if err := c.persist(next, now); err != nil {
		return err
	}
	c.queueMarkers(next)
	return nil
}

func (c *core) queueMarkers(m *txnMeta) {
	m.markersQueued = true
	c.jobs = append(c.jobs, MarkerJob{
		TransactionalID: m.id, ProducerID: m.producerID, ProducerEpoch: m.epoch,
		Commit: m.state == PrepareCommit, Partitions: m.partitionList(),
	})
}

// takeJobs returns the marker jobs queued since the last call.
func (c *core) takeJobs() []MarkerJob {
	j := c.jobs
	c.jobs = nil
	return j
}

// markersWritten completes a transaction once every marker of job is
// written. A failed write leaves the state Prepare*, and the job is queued
// again for the next attempt.
func (c *core) markersWritten(job MarkerJob, now time.Time) {
	m := c.txns[job.TransactionalID]
	if m == nil || !m.state.preparing() || m.producerID != job.ProducerID || m.epoch != job.ProducerEpoch {
		return
	}
	next := m.clone()
	next.state, next.markersQueued = CompleteAbort, false
	if m.state == PrepareCommit {
		next.state = CompleteCommit
	}
	if next.nextProducer >= 0 {
		next.lastProducer, next.producerID, next.epoch, next.lastEpoch = next.producerID, next.nextProducer, 0, -1
		next.nextProducer = -1
	}
	next.partitions, next.start = map[TopicPartition]bool{}, time.Time{}
	if err := c.persist(next, now); err != nil {
		c.queueMarkers(m)
	}
}
