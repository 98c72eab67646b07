package api

// BrokerHeartbeat (key 63), v0–1, served on the CONTROLLER listener
// (KIP-631). Heartbeats keep a broker's session alive, unfence it once its
// metadata has caught up with its registration, and carry controlled
// shutdown: WantShutdown asks the controller to move leadership away,
// ShouldShutdown says it has.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/controller"
	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) brokerHeartbeatAPI() wire.API {
	return wire.API{Key: 63, Min: 0, Max: 1, Handle: typed(h.brokerHeartbeat)}
}

func (h *Handlers) brokerHeartbeat(ctx context.Context, c *wire.Conn, req *kmsg.BrokerHeartbeatRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.BrokerHeartbeatResponse)
	resp.IsFenced = true
	if !h.allowedCluster(c, opClusterAction) {
		resp.ErrorCode = errClusterAuthz
		return resp, nil
	}
	off := req.CurrentMetadataOffset
	if off < 0 {
		off = 0
	}
	r, err := h.Ctrl.BrokerHeartbeat(ctx, controller.BrokerHeartbeat{
		ID: req.BrokerID, Epoch: req.BrokerEpoch, MetadataOffset: uint64(off),
		WantFence: req.WantFence, WantShutDown: req.WantShutdown,
	})
	if err != nil {
		resp.ErrorCode = codeFor(err)
		return resp, nil
	}
	resp.IsCaughtUp, resp.IsFenced, resp.ShouldShutdown = r.IsCaughtUp, r.IsFenced, r.ShouldShutDown
	return resp, nil
}
