package txn

import (
	"time"
)

// nextDeadline is when tick next has work; zero before start.
func (c *core) nextDeadline() time.Time {
	if c.nextAbort.IsZero() {
		return time.Time{}
	}
	if c.nextExpire.Before(c.nextAbort) {
		return c.nextExpire
	}
	return c.nextAbort
}

// tick runs the passes that are due: abort transactions past their
// transaction.timeout.ms, and remove ids idle for
// transactional.id.expiration.ms.
func (c *core) tick(now time.Time) {
	if c.nextAbort.IsZero() {
		return
	}
	if !now.Before(c.nextAbort) {
		c.abortTimedOut(now)
		c.nextAbort = now.Add(c.cfg.AbortCheckInterval)
	}
	if !now.Before(c.nextExpire) {
		c.expire(now)
		c.nextExpire = now.Add(c.cfg.ExpiryInterval)
	}
}

// abortTimedOut aborts every ongoing transaction older than its timeout.
// The epoch is bumped, as Kafka's PrepareEpochFence does, so the producer
// that let it time out is fenced: its next request fails with
// PRODUCER_FENCED and it must re-init.
func (c *core) abortTimedOut(now time.Time) {
	for _, id := range c.sortedIDs() {
		m := c.txns[id]
		if m.state != Ongoing || now.Sub(m.start) <= m.timeout {
			continue
		}
		next := m.clone()
		fenceEpoch(next)
		next.state = PrepareAbort
		if err := c.persist(next, now); err != nil {
			continue
		}
		c.logger.Info("aborting timed out transaction", "transactional.id", id, "producer.id", next.producerID, "epoch", next.epoch)
		c.queueMarkers(next)
	}
}

// expire removes transactional ids with no transaction in flight that
// were last updated transactional.id.expiration.ms ago (a tombstone).
func (c *core) expire(now time.Time) {
	for _, id := range c.sortedIDs() {
		m := c.txns[id]
		switch m.state {
		case Empty, CompleteCommit, CompleteAbort:
		default:
			continue
		}
		if now.Sub(m.updated) < c.cfg.IDExpiration {
			continue
		}
		if err := c.j.write(now, []kv{{key: txnKey(id)}}); err != nil {
			c.logger.Warn("removing expired transactional id failed", "transactional.id", id, "err", err)
			continue
		}
		delete(c.txns, id)
	}
}

// shutdown forgets everything; marker jobs in flight are dropped by the
// shard (the next coordinator resumes them from the records).
func (c *core) shutdown() {
	c.txns, c.jobs = map[string]*txnMeta{}, nil
}
