package api

// EndTxn (key 26), v0–5.
//
// Answers once PrepareCommit (or PrepareAbort) is committed to
// __transaction_state; the coordinator then writes the markers and
// completes the transaction in the background. A retry while markers are
// being written gets CONCURRENT_TRANSACTIONS, one after completion
// succeeds. v2 brings PRODUCER_FENCED (older: INVALID_PRODUCER_EPOCH); v3
// flexible. v5 (KIP-890 part 2, transaction version 2): the epoch is
// bumped with every EndTxn, the markers carry the new epoch, and the
// answer gives the producer id and epoch to continue with.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) endTxnAPI() wire.API {
	return wire.API{Key: 26, Min: 0, Max: 5, Handle: typed(h.endTxn)}
}

func (h *Handlers) endTxn(ctx context.Context, c *wire.Conn, req *kmsg.EndTxnRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.EndTxnResponse)
	if !h.allowed(c, opWrite, rtTxnID, req.TransactionalID) {
		resp.ErrorCode, resp.ProducerID, resp.ProducerEpoch = errTxnIDAuthz, -1, -1
		return resp, nil
	}
	res, err := h.Txn.EndTxn(ctx, req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit, req.Version >= 5)
	resp.ErrorCode = txnErrCode(err, req.Version, 2)
	resp.ProducerID, resp.ProducerEpoch = res.ProducerID, res.ProducerEpoch
	return resp, nil
}
