package api

// BrokerRegistration (key 62), v0–4, served on the CONTROLLER listener
// (KIP-631). A broker announces its listeners and rack when it starts;
// the controller answers with the broker epoch that later heartbeats and
// AlterPartition requests must carry. The registration starts fenced:
// heartbeats unfence it once its metadata has caught up.
//
//   - v2+ (KIP-966): PreviousBrokerEpoch, the epoch the broker wrote to its
//     clean-shutdown file when it last stopped (-1: none). A new
//     incarnation whose previous epoch is not its registered one shut down
//     uncleanly and leaves every ISR and ELR; before v2 every restart counts
//     as unclean.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/controller"
	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) brokerRegistrationAPI() wire.API {
	return wire.API{Key: 62, Min: 0, Max: 4, Handle: typed(h.brokerRegistration)}
}

func (h *Handlers) brokerRegistration(ctx context.Context, c *wire.Conn, req *kmsg.BrokerRegistrationRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.BrokerRegistrationResponse)
	resp.BrokerEpoch = -1
	if !h.allowedCluster(c, opClusterAction) {
		resp.ErrorCode = errClusterAuthz
		return resp, nil
	}
	if id := h.Ctrl.Image().ClusterID; id != "" && req.ClusterID != id {
		resp.ErrorCode = kerr.InconsistentClusterID.Code
		return resp, nil
	}
	reg := controller.BrokerRegistration{ID: req.BrokerID, IncarnationID: metadata.Uuid(req.IncarnationID), Rack: req.Rack,
		PreviousBrokerEpoch: -1}
	if req.Version >= 2 {
		reg.PreviousBrokerEpoch = req.PreviousBrokerEpoch
	}
	for _, l := range req.Listeners {
		proto, ok := securityProtocols[l.SecurityProtocol]
		if !ok {
			resp.ErrorCode = kerr.InvalidRequest.Code
			return resp, nil
		}
		reg.Endpoints = append(reg.Endpoints, metadata.Endpoint{Listener: l.Name, SecurityProtocol: proto, Host: l.Host, Port: int32(l.Port)})
	}
	epoch, err := h.Ctrl.RegisterBroker(ctx, reg)
	if err != nil {
		resp.ErrorCode = codeFor(err)
		return resp, nil
	}
	resp.BrokerEpoch = epoch
	return resp, nil
}
