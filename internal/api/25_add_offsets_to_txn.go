package api

// AddOffsetsToTxn (key 25), v0–4.
//
// Adds the group's __consumer_offsets partition to the transaction, so
// the transaction's markers reach the group coordinator, which then makes
// the offsets of TxnOffsetCommit visible (commit) or drops them (abort).
// v2 brings PRODUCER_FENCED (older: INVALID_PRODUCER_EPOCH); v3 flexible.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) addOffsetsToTxnAPI() wire.API {
	return wire.API{Key: 25, Min: 0, Max: 4, Handle: typed(h.addOffsetsToTxn)}
}

func (h *Handlers) addOffsetsToTxn(ctx context.Context, c *wire.Conn, req *kmsg.AddOffsetsToTxnRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.AddOffsetsToTxnResponse)
	switch {
	case !h.allowed(c, opWrite, rtTxnID, req.TransactionalID):
		resp.ErrorCode = errTxnIDAuthz
		return resp, nil
	case !h.allowed(c, opRead, rtGroup, req.Group):
		resp.ErrorCode = errGroupAuthz
		return resp, nil
	}
	err := h.Txn.AddOffsets(ctx, req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Group)
	resp.ErrorCode = txnErrCode(err, req.Version, 2)
	return resp, nil
}
