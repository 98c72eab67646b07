package api

// SaslHandshake (key 17), v0–1, and SaslAuthenticate (key 36), v0–2.
//
// On a SASL listener the connection answers both itself
// (network/sasl.go): they change its state. These handlers answer them
// everywhere else, as Kafka does: ILLEGAL_SASL_STATE, since the listener
// does not authenticate with SASL.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) saslHandshakeAPI() wire.API {
	return wire.API{Key: 17, Min: 0, Max: 1, Handle: typed(h.saslHandshake)}
}

func (h *Handlers) saslHandshake(_ context.Context, _ *wire.Conn, req *kmsg.SASLHandshakeRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.SASLHandshakeResponse)
	resp.ErrorCode = kerr.IllegalSaslState.Code
	resp.SupportedMechanisms = []string{}
	return resp, nil
}

func (h *Handlers) saslAuthenticateAPI() wire.API {
	return wire.API{Key: 36, Min: 0, Max: 2, Handle: typed(h.saslAuthenticate)}
}

func (h *Handlers) saslAuthenticate(_ context.Context, _ *wire.Conn, req *kmsg.SASLAuthenticateRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.SASLAuthenticateResponse)
	resp.ErrorCode = kerr.IllegalSaslState.Code
	msg := "this listener does not authenticate with SASL"
	resp.ErrorMessage = &msg
	return resp, nil
}
