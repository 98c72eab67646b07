package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/raft"
)

// ErrDuplicateBrokerRegistration refuses a second process registering a
// broker id whose registered process is still alive.
var ErrDuplicateBrokerRegistration = errors.New("controller: duplicate broker registration") // DUPLICATE_BROKER_REGISTRATION

// checkDuplicate refuses a registration with a new incarnation while the
// registered one still has a live session: two processes configured with
// the same node.id would otherwise take the registration from each other
// in turn. Kafka does the same; a broker restarted after a crash retries
// until the dead process's session expires (broker.session.timeout.ms).
func (c *Controller) checkDuplicate(old *metadata.Broker, reg BrokerRegistration) error {
	if old == nil || old.Fenced || old.IncarnationID == reg.IncarnationID {
		return nil
	}
	s := c.act.sessions[reg.ID]
	if s == nil || c.opts.Now().Sub(s.lastContact) > c.opts.BrokerSessionTimeout {
		return nil
	}
	return fmt.Errorf("%w: Another broker is registered with that broker id.", ErrDuplicateBrokerRegistration)
}

// UnregisterBroker removes broker id's registration (Kafka's
// UnregisterBroker, `kafka-cluster.sh unregister`): it leaves every ISR
// and ELR, its leaderships move, and a broker-only node also stops being a learner
// of the metadata quorum. Its partitions keep it as a replica until they
// are reassigned. A broker that is still running registers again.
func (c *Controller) UnregisterBroker(ctx context.Context, id int32) error {
	var opErr error
	err := c.do(ctx, func() { opErr = c.unregisterBroker(ctx, id) })
	if err != nil {
		return err
	}
	return opErr
}

func (c *Controller) unregisterBroker(ctx context.Context, id int32) error {
	im, err := c.activeImage(ctx)
	if err != nil {
		return err
	}
	b := im.Brokers[id]
	if b == nil {
		return fmt.Errorf("%w: Broker ID not registered: %d", ErrBrokerNotRegistered, id)
	}
	// Fence first (its leaderships and ISR places move, as for a broker
	// that died), then remove the registration, in one batch.
	recs, err := c.fenceRecords(im, b)
	if err != nil {
		return err
	}
	// A broker that is gone can no longer be a safe leader: it leaves
	// the ELRs too (Kafka's handleBrokerUnregistered).
	if recs, err = c.withUncleanRestart(im, recs, id); err != nil {
		return err
	}
	recs = append(recs, &metadata.UnregisterBrokerRecord{ID: id, Epoch: b.Epoch})
	if _, err := c.propose(ctx, recs); err != nil {
		return err
	}
	if c.act != nil { // nil when leadership went while the batch committed
		delete(c.act.sessions, id)
	}
	c.log.Info("unregistered broker", "broker", id, "epoch", b.Epoch, "records", len(recs))
	if slices.Contains(c.opts.Voters, id) {
		return nil
	}
	if err := c.node.RemoveLearner(ctx, id); err != nil && !errors.Is(err, raft.ErrNotLearner) {
		// The registration is gone; a learner left behind only costs
		// the leader some replication to a node that is not there.
		c.log.Warn("unregistered broker is still a metadata learner", "broker", id, "err", err)
	}
	return nil
}
