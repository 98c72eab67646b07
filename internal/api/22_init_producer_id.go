package api

// InitProducerId (key 22), v0–5.
//
// Idempotent producers (no transactional id) get a fresh producer id with
// epoch 0 every time, even when v3+ sends its current id and epoch
// (KIP-360): Kafka does the same for non-transactional producers, and the
// new id resets sequence state everywhere. Ids come in blocks from the
// controller (committed to the metadata log), so they are never reused
// across restarts.
//
// Transactional ids need the transaction coordinator (a later issue):
// until then they are refused with a non-retriable error rather than left
// to spin on COORDINATOR_NOT_AVAILABLE.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) initProducerIDAPI() wire.API {
	return wire.API{Key: 22, Min: 0, Max: 5, Handle: typed(h.initProducerID)}
}

func (h *Handlers) initProducerID(ctx context.Context, _ *wire.Conn, req *kmsg.InitProducerIDRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	if req.TransactionalID != nil {
		resp.ErrorCode = kerr.TransactionalIDAuthorizationFailed.Code
		return resp, nil
	}
	id, err := h.NextProducerID(ctx)
	if err != nil {
		h.Logger.Warn("allocating producer id", "err", err)
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		return resp, nil
	}
	resp.ProducerID, resp.ProducerEpoch = id, 0
	return resp, nil
}
