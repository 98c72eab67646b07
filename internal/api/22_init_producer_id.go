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
// A transactional id goes to the transaction coordinator (this broker
// must lead its __transaction_state partition): the first init allocates
// the id, each later one bumps the epoch, fencing older instances, and
// aborts a transaction the previous instance left open (the new one gets
// CONCURRENT_TRANSACTIONS until the abort completes). v3+ carries the
// producer's current id and epoch (KIP-360): only the current producer (or
// a retry of its last init) may re-init. PRODUCER_FENCED exists from v4
// (KIP-588); older versions get INVALID_PRODUCER_EPOCH.

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) initProducerIDAPI() wire.API {
	return wire.API{Key: 22, Min: 0, Max: 5, Handle: typed(h.initProducerID)}
}

func (h *Handlers) initProducerID(ctx context.Context, c *wire.Conn, req *kmsg.InitProducerIDRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.InitProducerIDResponse)
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	switch {
	case req.TransactionalID != nil && !h.allowed(c, opWrite, rtTxnID, *req.TransactionalID):
		resp.ErrorCode = errTxnIDAuthz
		return resp, nil
	case req.TransactionalID == nil && !h.allowedCluster(c, opIdempotentWrite) && !h.allowedAny(c, opWrite, rtTopic):
		// An idempotent producer: IDEMPOTENT_WRITE on the cluster, or
		// WRITE on some topic (KIP-679).
		resp.ErrorCode = errClusterAuthz
		return resp, nil
	}
	if req.TransactionalID != nil {
		if h.Txn == nil {
			resp.ErrorCode = kerr.TransactionalIDAuthorizationFailed.Code
			return resp, nil
		}
		timeout := time.Duration(req.TransactionTimeoutMillis) * time.Millisecond
		r := h.Txn.InitProducerID(ctx, *req.TransactionalID, timeout, req.ProducerID, req.ProducerEpoch)
		resp.ProducerID, resp.ProducerEpoch = r.ProducerID, r.ProducerEpoch
		resp.ErrorCode = txnErrCode(r.Err, req.Version, 4)
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
