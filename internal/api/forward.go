package api

// Forwarding (KIP-590). Requests that change cluster metadata are decided
// by the active controller. A broker that is not the active controller
// passes them on over the CONTROLLER listener and relays the answer; the
// CONTROLLER listener itself never forwards (a request reaching a
// controller that just lost leadership gets NOT_CONTROLLER, and the sender
// retries against the new one).

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/wire"
)

// forwardTimeout bounds how long a forwarded request waits for an active
// controller (elections take about one election timeout).
const forwardTimeout = 15 * time.Second

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
