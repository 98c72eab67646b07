package api

// AlterUserScramCredentials (key 51), v0 (KIP-554).
//
// Forwarded to the active controller (KIP-590), which validates each
// user's deletions and upsertions as Kafka's ScramControlManager (bad
// mechanism UNSUPPORTED_SASL_MECHANISM, iterations outside 4096–16384 or
// an empty name UNACCEPTABLE_CREDENTIAL, a mechanism altered twice
// DUPLICATE_RESOURCE, deleting what is not there RESOURCE_NOT_FOUND) and
// writes the credentials to the metadata log. The salted password never
// is: only the stored and server keys derived from it.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/controller"
	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) alterUserScramCredentialsAPI() wire.API {
	return wire.API{Key: 51, Min: 0, Max: 0, Handle: typed(h.alterUserScramCredentials)}
}

func (h *Handlers) alterUserScramCredentials(ctx context.Context, c *wire.Conn, req *kmsg.AlterUserSCRAMCredentialsRequest) (kmsg.Response, error) {
	if !h.allowedCluster(c, opAlter) {
		return alterScramDenied(req), nil
	}
	if resp, err, ok := h.forward(ctx, c, req); ok {
		return resp, err
	}
	var alts []controller.ScramAlteration
	for _, d := range req.Deletions {
		alts = append(alts, controller.ScramAlteration{User: d.Name, Mechanism: d.Mechanism, Delete: true})
	}
	for _, u := range req.Upsertions {
		alts = append(alts, controller.ScramAlteration{User: u.Name, Mechanism: u.Mechanism, Iterations: u.Iterations,
			Salt: u.Salt, SaltedPassword: u.SaltedPassword})
	}
	resp := req.ResponseKind().(*kmsg.AlterUserSCRAMCredentialsResponse)
	users, errs := h.Ctrl.AlterUserScramCredentials(ctx, alts)
	for i, u := range users {
		r := kmsg.NewAlterUserSCRAMCredentialsResponseResult()
		r.User, r.ErrorCode, r.ErrorMessage = u, codeFor(errs[i]), errMsg(errs[i])
		resp.Results = append(resp.Results, r)
	}
	return resp, nil
}
