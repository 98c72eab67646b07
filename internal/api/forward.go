package api

// Forwarding (KIP-590). Requests that change cluster metadata are decided
// by the active controller. A broker that is not the active controller
// passes them on over the CONTROLLER listener and relays the answer; the
// CONTROLLER listener itself never forwards (a request reaching a
// controller that just lost leadership gets NOT_CONTROLLER, and the sender
// retries against the new one).
//
// AlterConfigs (33) and IncrementalAlterConfigs (44) forward only the
// resources that pass the receiving broker's own checks (Kafka's
// ConfigAdminManager.preprocess: duplicates, null values, a BROKER resource
// naming another broker); see alterConfigs in 44_incremental_alter_configs.go.

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/wire"
)

// forwardTimeout bounds how long a forwarded request waits for an active
// controller (elections take about one election timeout).
const forwardTimeout = 15 * time.Second

// clientControllerID is the controller id Metadata and DescribeCluster
// give clients, which send admin requests there. The active controller
// when it is a live broker (combined mode: no forwarding hop); otherwise
// this broker, which forwards them (Kafka's brokers name a live broker
// too: clients cannot reach dedicated controllers).
func (h *Handlers) clientControllerID(im *metadata.Image) int32 {
	if id := h.Ctrl.ActiveControllerID(); id >= 0 && im.Brokers[id].Active() {
		return id
	}
	return h.NodeID
}

// forward sends req to the active controller when this node is not it and
// the request came from a client. ok is false when the caller should serve
// req itself.
func (h *Handlers) forward(ctx context.Context, c *wire.Conn, req kmsg.Request) (resp kmsg.Response, err error, ok bool) {
	if h.ToController == nil || h.Ctrl.Active() || h.Config.IsControllerListener(c.Listener) {
		return nil, nil, false
	}
	ctx, cancel := context.WithTimeout(ctx, forwardTimeout)
	defer cancel()
	resp, err = h.ToController(ctx, req)
	if err != nil {
		// No controller within the bound: dropping the connection makes
		// the client retry with fresh metadata, as after any broker loss.
		h.Logger.Warn("forwarding to the active controller failed", "request", kmsg.NameForKey(req.Key()), "err", err)
	}
	return resp, err, true
}
