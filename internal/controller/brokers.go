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

// RegisterBroker (re-)registers a broker; its epoch grows with every
// registration. In combined mode the broker is unfenced at once.
func (c *Controller) RegisterBroker(ctx context.Context, reg BrokerRegistration) error {
	if reg.ID < 0 {
		return fmt.Errorf("%w: broker id %d is negative", ErrInvalidRequest, reg.ID)
	}
	var opErr error
	err := c.do(ctx, func() {
		if opErr = ctx.Err(); opErr != nil {
			return
		}
		epoch := int64(1)
		if b := c.Image().Brokers[reg.ID]; b != nil {
			epoch = b.Epoch + 1
		}
		opErr = c.propose(ctx, []metadata.Record{&metadata.RegisterBrokerRecord{
			ID: reg.ID, Epoch: epoch, Rack: reg.Rack, Endpoints: slices.Clone(reg.Endpoints),
		}})
	})
	if err != nil {
		return err
	}
	return opErr
}

// AllocateProducerIDs hands out a block of producer ids, committed to the log
// so they are never reused after a restart.
func (c *Controller) AllocateProducerIDs(ctx context.Context, brokerID int32) (first int64, count int32, err error) {
	var opErr error
	doErr := c.do(ctx, func() {
		if opErr = ctx.Err(); opErr != nil {
			return
		}
		im := c.Image()
		b := im.Brokers[brokerID]
		if b == nil {
			opErr = fmt.Errorf("%w: Broker %d is not registered.", ErrInvalidRequest, brokerID)
			return
		}
		first = im.NextProducerID
		if first > math.MaxInt64-ProducerIDBlockSize {
			opErr = fmt.Errorf("%w: producer ids exhausted", ErrInvalidRequest)
			return
		}
		opErr = c.propose(ctx, []metadata.Record{&metadata.ProducerIdsRecord{
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
