package api

// FindCoordinator (key 10), v0–6.
//
//   - v0: one group key; v1: key type (0 group, 1 transaction) and an
//     error message; v3: flexible; v4: a batch of keys (KIP-699), answered
//     per key; v6: key type 2 (share groups, KIP-932).
//   - The group coordinator is the leader of the group's
//     __consumer_offsets partition, given at its endpoint on the listener
//     the client used. The topic is created on the first request, as Kafka
//     does, and served at once rather than after a retry.
//   - The transaction coordinator (key type 1) is the leader of the
//     transactional id's __transaction_state partition, created on first
//     use the same way.
//   - Share coordinators do not exist yet: INVALID_REQUEST, so a client
//     fails fast instead of retrying forever.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/wire"
)

const (
	coordinatorKeyGroup       = 0
	coordinatorKeyTransaction = 1
)

func (h *Handlers) findCoordinatorAPI() wire.API {
	return wire.API{Key: 10, Min: 0, Max: 6, Handle: typed(h.findCoordinator)}
}

func (h *Handlers) findCoordinator(ctx context.Context, c *wire.Conn, req *kmsg.FindCoordinatorRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.FindCoordinatorResponse)
	keys := req.CoordinatorKeys
	if req.Version < 4 {
		keys = []string{req.CoordinatorKey}
	}
	for _, key := range keys {
		co := kmsg.NewFindCoordinatorResponseCoordinator()
		co.Key, co.NodeID, co.Port = key, -1, -1
		h.locateCoordinator(ctx, c, req.CoordinatorType, key, &co)
		resp.Coordinators = append(resp.Coordinators, co)
	}
	if req.Version < 4 {
		co := resp.Coordinators[0]
		resp.ErrorCode, resp.ErrorMessage = co.ErrorCode, co.ErrorMessage
		resp.NodeID, resp.Host, resp.Port = co.NodeID, co.Host, co.Port
		resp.Coordinators = nil
	}
	return resp, nil
}

func (h *Handlers) locateCoordinator(ctx context.Context, c *wire.Conn, keyType int8, key string, co *kmsg.FindCoordinatorResponseCoordinator) {
	fail := func(code int16, msg string) {
		co.ErrorCode = code
		co.ErrorMessage = &msg
	}
	// DESCRIBE on the key, before anything is created (Kafka).
	switch {
	case keyType == coordinatorKeyGroup && !h.allowed(c, opDescribe, rtGroup, key):
		fail(errGroupAuthz, kerrDescription(errGroupAuthz))
		return
	case keyType == coordinatorKeyTransaction && !h.allowed(c, opDescribe, rtTxnID, key):
		fail(errTxnIDAuthz, kerrDescription(errTxnIDAuthz))
		return
	}
	var node int32
	var err error
	switch {
	case keyType == coordinatorKeyGroup:
		node, err = h.Groups.Locate(ctx, key)
	case keyType == coordinatorKeyTransaction && h.Txn != nil:
		node, err = h.Txn.Locate(ctx, key)
	case keyType == coordinatorKeyTransaction:
		fail(kerr.InvalidRequest.Code, "Transactions are not supported.")
		return
	default:
		fail(kerr.InvalidRequest.Code, "Unsupported coordinator key type.")
		return
	}
	if err != nil {
		code := codeFor(err)
		fail(code, kerrDescription(code))
		return
	}
	b := h.Ctrl.Image().Brokers[node]
	if b == nil || b.Fenced {
		fail(kerr.CoordinatorNotAvailable.Code, kerr.CoordinatorNotAvailable.Description)
		return
	}
	ep, ok := endpointFor(b, c.Listener)
	if !ok {
		fail(kerr.CoordinatorNotAvailable.Code, kerr.CoordinatorNotAvailable.Description)
		return
	}
	co.NodeID, co.Host, co.Port = node, ep.Host, ep.Port
}

// kerrDescription is Kafka's default message for an error code.
func kerrDescription(code int16) string {
	if e, ok := kerr.ErrorForCode(code).(*kerr.Error); ok {
		return e.Description
	}
	return ""
}
