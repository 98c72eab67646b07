package api

// UnregisterBroker (key 64), v0 (KIP-631; `kafka-cluster.sh unregister`).
// Removes a broker's registration from the metadata: decommissioning a
// broker that is gone for good, so it no longer counts as a fenced broker
// and, if it was a broker-only node, no longer a metadata observer. A
// broker still running simply registers again. Forwarded to the active
// controller like other metadata writes.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) unregisterBrokerAPI() wire.API {
	return wire.API{Key: 64, Min: 0, Max: 0, Handle: typed(h.unregisterBroker)}
}

func (h *Handlers) unregisterBroker(ctx context.Context, c *wire.Conn, req *kmsg.UnregisterBrokerRequest) (kmsg.Response, error) {
	if !h.allowedCluster(c, opAlter) {
		resp := req.ResponseKind().(*kmsg.UnregisterBrokerResponse)
		resp.ErrorCode = errClusterAuthz
		return resp, nil
	}
	if resp, err, ok := h.forward(ctx, c, req); ok {
		return resp, err
	}
	resp := req.ResponseKind().(*kmsg.UnregisterBrokerResponse)
	if err := h.Ctrl.UnregisterBroker(ctx, req.BrokerID); err != nil {
		resp.ErrorCode, resp.ErrorMessage = codeFor(err), errMsg(err)
	}
	return resp, nil
}
