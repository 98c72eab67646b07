package controller

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/strom-project/strom/internal/metadata"
)

// BrokerHeartbeat handles a broker's periodic heartbeat (Kafka's
// BrokerHeartbeat), which keeps its session alive and drives its state:
//
//   - fenced → unfenced once its MetadataOffset reached its registration
//     (IsCaughtUp) and it does not WantFence; offline partitions whose ISR
//     holds it get it as leader. A broker in controlled shutdown is never
//     unfenced again (it must register anew).
//   - unfenced + WantFence → fenced (its leaderships move, it leaves ISRs).
//   - unfenced + WantShutDown → controlled shutdown: its leaderships move
//     to other eligible ISR members and it leaves ISRs (never emptying
//     one). Once nothing it leads can move and every active broker has
//     caught up with those changes, it is fenced and ShouldShutDown is set.
//     A broker that leads nothing is fenced at once.
//
// Errors: ErrBrokerNotRegistered for an unknown id, ErrStaleBrokerEpoch for
// an epoch that is not the current registration's, ErrNotController.
func (c *Controller) BrokerHeartbeat(ctx context.Context, hb BrokerHeartbeat) (BrokerHeartbeatReply, error) {
	var reply BrokerHeartbeatReply
	var opErr error
	if err := c.do(ctx, func() { reply, opErr = c.heartbeat(ctx, hb) }); err != nil {
		return BrokerHeartbeatReply{}, err
	}
	return reply, opErr
}

func (c *Controller) heartbeat(ctx context.Context, hb BrokerHeartbeat) (BrokerHeartbeatReply, error) {
	im, err := c.activeImage(ctx)
	if err != nil {
		return BrokerHeartbeatReply{}, err
	}
	b := im.Brokers[hb.ID]
	if b == nil {
		return BrokerHeartbeatReply{}, fmt.Errorf("%w: Broker %d is not registered.", ErrBrokerNotRegistered, hb.ID)
	}
	if b.Epoch != hb.Epoch {
		return BrokerHeartbeatReply{}, fmt.Errorf("%w: Expected broker epoch %d, but got broker epoch %d.", ErrStaleBrokerEpoch, b.Epoch, hb.Epoch)
	}
	s := c.session(hb.ID)
	s.lastContact, s.metadataOffset = c.opts.Now(), hb.MetadataOffset
	caughtUp := hb.MetadataOffset >= uint64(b.Epoch)
	var recs []metadata.Record
	var shutDown, shutdownMoves bool
	switch {
	case b.Fenced:
		shutDown = hb.WantShutDown || b.InControlledShutdown
		if !shutDown && !hb.WantFence && caughtUp {
			recs, err = c.unfenceRecords(im, b)
		}
	case b.InControlledShutdown:
		recs, shutDown, err = c.continueShutdown(im, b, s)
		shutdownMoves = !shutDown
	case hb.WantFence:
		recs, err = c.fenceRecords(im, b)
		shutDown = hb.WantShutDown
	case hb.WantShutDown:
		recs, shutDown, err = c.beginShutdown(im, b)
		shutdownMoves = !shutDown
	}
	if err != nil {
		return BrokerHeartbeatReply{}, err
	}
	if len(recs) > 0 {
		offset, err := c.propose(ctx, recs)
		if err != nil {
			return BrokerHeartbeatReply{}, err
		}
		if shutdownMoves {
			s.shutdownOffset = offset
		}
		c.log.Info("broker state changed by heartbeat", "broker", b.ID, "epoch", b.Epoch,
			"fenced", c.Image().Brokers[b.ID].Fenced, "shutdown", shutDown, "records", len(recs))
	}
	return BrokerHeartbeatReply{IsCaughtUp: caughtUp, IsFenced: c.Image().Brokers[b.ID].Fenced, ShouldShutDown: shutDown}, nil
}

// beginShutdown puts unfenced broker b in controlled shutdown and moves
// what it can; a broker that leads nothing is fenced at once instead.
func (c *Controller) beginShutdown(im *metadata.Image, b *metadata.Broker) ([]metadata.Record, bool, error) {
	mark := &metadata.BrokerRegistrationChangeRecord{ID: b.ID, Epoch: b.Epoch, InControlledShutdown: 1}
	if !leadsAny(im, b.ID) {
		mark.Fenced = metadata.BrokerFence
	}
	next, err := scratch(im, []metadata.Record{mark})
	if err != nil {
		return nil, false, err
	}
	recs := []metadata.Record{mark}
	if mark.Fenced == metadata.BrokerFence {
		more, err := c.fenceRecords(next, next.Brokers[b.ID])
		return append(recs, more...), true, err
	}
	return append(recs, c.shutdownRecords(next, b.ID)...), false, nil
}

// continueShutdown runs on every heartbeat of a broker in controlled
// shutdown: it moves leaderships that became movable (an ISR member was
// unfenced), and once there are none and the active brokers have caught up
// with the moves, fences the broker: its shutdown is complete.
func (c *Controller) continueShutdown(im *metadata.Image, b *metadata.Broker, s *brokerSession) ([]metadata.Record, bool, error) {
	if recs := c.shutdownRecords(im, b.ID); len(recs) > 0 {
		return recs, false, nil
	}
	if c.lowestActiveOffset(im, b.ID) < s.shutdownOffset {
		return nil, false, nil
	}
	recs, err := c.fenceRecords(im, b)
	return recs, true, err
}

func (c *Controller) shutdownRecords(im *metadata.Image, b int32) []metadata.Record {
	rules := c.rulesOf(im)
	return partitionChanges(im, func(t *metadata.Topic, p *metadata.Partition) *metadata.PartitionChangeRecord {
		return shutdownChange(im, t.ID, p, b, rules(t))
	})
}

func leadsAny(im *metadata.Image, b int32) bool {
	for _, t := range im.Topics {
		for _, p := range t.Partitions {
			if p.Leader == b {
				return true
			}
		}
	}
	return false
}

// lowestActiveOffset is the lowest metadata offset that an active broker
// other than except reported to this controller (0 for one that has not
// heartbeated since this controller became active); MaxUint64 if none.
func (c *Controller) lowestActiveOffset(im *metadata.Image, except int32) uint64 {
	low := uint64(math.MaxUint64)
	for id, b := range im.Brokers {
		if id == except || !b.Active() {
			continue
		}
		off := uint64(0)
		if s := c.act.sessions[id]; s != nil {
			off = s.metadataOffset
		}
		low = min(low, off)
	}
	return low
}

// fenceStaleBrokers fences, one batch per broker, every unfenced broker
// whose last heartbeat is older than BrokerSessionTimeout.
func (c *Controller) fenceStaleBrokers(ctx context.Context) {
	now := c.opts.Now()
	for c.act != nil { // a failed proposal may have ended leadership
		im := c.Image()
		var stale *metadata.Broker
		for _, id := range sortedBrokerIDs(im) {
			if b := im.Brokers[id]; !b.Fenced && now.Sub(c.session(id).lastContact) > c.opts.BrokerSessionTimeout {
				stale = b
				break
			}
		}
		if stale == nil {
			return
		}
		recs, err := c.fenceRecords(im, stale)
		if err == nil {
			_, err = c.propose(ctx, recs)
		}
		if err != nil {
			c.log.Warn("could not fence a broker whose session expired", "broker", stale.ID, "err", err)
			return
		}
		c.log.Warn("fenced broker: session expired", "broker", stale.ID, "epoch", stale.Epoch,
			"timeout", c.opts.BrokerSessionTimeout, "partition.changes", len(recs)-1)
	}
}

func sortedBrokerIDs(im *metadata.Image) []int32 {
	ids := make([]int32, 0, len(im.Brokers))
	for id := range im.Brokers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
