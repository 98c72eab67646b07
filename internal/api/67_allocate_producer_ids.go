package api

// AllocateProducerIds (key 67), v0, served on the CONTROLLER listener
// (KIP-730): a broker takes a block of producer ids, committed to the
// metadata log so no id is handed out twice, even across restarts.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) allocateProducerIDsAPI() wire.API {
	return wire.API{Key: 67, Min: 0, Max: 0, Handle: typed(h.allocateProducerIDs)}
}

func (h *Handlers) allocateProducerIDs(ctx context.Context, c *wire.Conn, req *kmsg.AllocateProducerIDsRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.AllocateProducerIDsResponse)
	if !h.allowedCluster(c, opClusterAction) {
		resp.ErrorCode = errClusterAuthz
		return resp, nil
	}
	first, n, err := h.Ctrl.AllocateProducerIDs(ctx, req.BrokerID)
	if err != nil {
		resp.ErrorCode = codeFor(err)
		return resp, nil
	}
	resp.ProducerIDStart, resp.ProducerIDLen = first, n
	return resp, nil
}
