package api

// AlterClientQuotas (key 49), v0–1 (KIP-546). v1: flexible.
//
//   - Entities: user, client-id, or both; a null name is the default
//     entity of its type. ip (connection_creation_rate) is refused with
//     INVALID_REQUEST: Strom does not enforce connection rates.
//   - Keys: producer_byte_rate, consumer_byte_rate, request_percentage,
//     and controller_mutation_rate (stored, not enforced).
//   - Forwarded to the active controller (KIP-590), which validates as
//     Kafka's ClientQuotaControlManager (INVALID_REQUEST with Kafka's
//     messages; UNSUPPORTED_VERSION for an unknown entity type) and writes
//     ClientQuotaRecords; validate_only stops before writing.

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/controller"
	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) alterClientQuotasAPI() wire.API {
	return wire.API{Key: 49, Min: 0, Max: 1, Handle: typed(h.alterClientQuotas)}
}

func (h *Handlers) alterClientQuotas(ctx context.Context, c *wire.Conn, req *kmsg.AlterClientQuotasRequest) (kmsg.Response, error) {
	if !h.allowedCluster(c, opAlterConfigs) {
		return alterClientQuotasDenied(req), nil
	}
	if resp, err, ok := h.forward(ctx, c, req); ok {
		return resp, err
	}
	alts := make([]controller.QuotaAlteration, len(req.Entries))
	for i, e := range req.Entries {
		for _, p := range e.Entity {
			alts[i].Entity = append(alts[i].Entity, metadata.QuotaEntityData{Type: p.Type, Name: p.Name})
		}
		for _, op := range e.Ops {
			alts[i].Ops = append(alts[i].Ops, controller.QuotaOp{Key: op.Key, Value: op.Value, Remove: op.Remove})
		}
	}
	resp := req.ResponseKind().(*kmsg.AlterClientQuotasResponse)
	for i, err := range h.Ctrl.AlterClientQuotas(ctx, alts, req.ValidateOnly) {
		re := kmsg.NewAlterClientQuotasResponseEntry()
		for _, p := range req.Entries[i].Entity {
			re.Entity = append(re.Entity, kmsg.AlterClientQuotasResponseEntryEntity{Type: p.Type, Name: p.Name})
		}
		if errors.Is(err, controller.ErrUnsupportedQuotaEntity) {
			msg := unwrapMessage(err, controller.ErrUnsupportedQuotaEntity)
			re.ErrorCode, re.ErrorMessage = kerr.UnsupportedVersion.Code, &msg
		} else {
			re.ErrorCode, re.ErrorMessage = codeFor(err), errMsg(err)
			if re.ErrorCode == kerr.UnknownServerError.Code {
				h.Logger.Warn("altering client quotas", "err", err)
			}
		}
		resp.Entries = append(resp.Entries, re)
	}
	return resp, nil
}

// unwrapMessage is err's text without the sentinel's prefix.
func unwrapMessage(err, sentinel error) string {
	msg := err.Error()
	if p := sentinel.Error() + ": "; len(msg) > len(p) && msg[:len(p)] == p {
		return msg[len(p):]
	}
	return msg
}
