package controller

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/strom-project/strom/internal/metadata"
)

// ProducerIDBlockSize is the number of producer ids handed out per
// AllocateProducerIDs call (Kafka's ProducerIdManager block size).
const ProducerIDBlockSize = 1000

// RegisterBroker registers a broker process (Kafka's BrokerRegistration)
// and returns its broker epoch: the offset of the registration, so it grows
// with every registration. A new registration starts fenced; heartbeats
// unfence it once it has caught up (BrokerHeartbeat).
//
// A retry with the incarnation already registered returns the existing
// epoch and writes nothing. A new incarnation of a known broker (a
// restart) replaces the old one, which is fenced in the same batch: it
// leaves ISRs and its leaderships move.
func (c *Controller) RegisterBroker(ctx context.Context, reg BrokerRegistration) (int64, error) {
	if reg.ID < 0 {
		return 0, fmt.Errorf("%w: broker id %d is negative", ErrInvalidRequest, reg.ID)
	}
	var epoch int64
	var opErr error
	err := c.do(ctx, func() {
		epoch, opErr = c.registerBroker(ctx, reg)
	})
	if err != nil {
		return 0, err
	}
	return epoch, opErr
}

func (c *Controller) registerBroker(ctx context.Context, reg BrokerRegistration) (int64, error) {
	im, err := c.activeImage(ctx)
	if err != nil {
		return 0, err
	}
	old := im.Brokers[reg.ID]
	if old != nil && reg.IncarnationID != (metadata.Uuid{}) && old.IncarnationID == reg.IncarnationID {
		c.session(reg.ID).lastContact = c.opts.Now()
		return old.Epoch, nil
	}
	if err := c.checkDuplicate(old, reg); err != nil {
		return 0, err
	}
	var recs []metadata.Record
	if old != nil {
		if recs, err = c.fenceRecords(im, old); err != nil {
			return 0, err
		}
		if reg.PreviousBrokerEpoch != old.Epoch { // KIP-966: an unclean shutdown
			if recs, err = c.withUncleanRestart(im, recs, old.ID); err != nil {
				return 0, err
			}
		}
	}
	recs = append(recs, &metadata.RegisterBrokerRecord{ID: reg.ID, IncarnationID: reg.IncarnationID,
		Rack: reg.Rack, Endpoints: slices.Clone(reg.Endpoints), Fenced: true})
	offset, err := c.propose(ctx, recs)
	if err != nil {
		return 0, err
	}
	if c.act != nil { // nil when leadership went while the batch committed
		c.act.sessions[reg.ID] = &brokerSession{lastContact: c.opts.Now()}
	}
	c.log.Info("registered broker", "broker", reg.ID, "epoch", offset, "replaced", old != nil, "records", len(recs))
	return int64(offset), nil
}

// AllocateProducerIDs hands out a block of producer ids, committed to the log
// so they are never reused after a restart.
func (c *Controller) AllocateProducerIDs(ctx context.Context, brokerID int32) (first int64, count int32, err error) {
	var opErr error
	doErr := c.do(ctx, func() {
		im, err := c.activeImage(ctx)
		if err != nil {
			opErr = err
			return
		}
		b := im.Brokers[brokerID]
		if b == nil {
			opErr = fmt.Errorf("%w: No broker registration found for broker %d.", ErrStaleBrokerEpoch, brokerID)
			return
		}
		first = im.NextProducerID
		if first > math.MaxInt64-ProducerIDBlockSize {
			opErr = fmt.Errorf("%w: producer ids exhausted", ErrInvalidRequest)
			return
		}
		_, opErr = c.propose(ctx, []metadata.Record{&metadata.ProducerIdsRecord{
			BrokerID: brokerID, BrokerEpoch: b.Epoch, NextProducerID: first + ProducerIDBlockSize,
		}})
	})
	if doErr != nil {
		return 0, 0, doErr
	}
	if opErr != nil {
		return 0, 0, opErr
	}
	return first, ProducerIDBlockSize, nil
}
