package api

// AlterConfigs (key 33), v0–2. Deprecated by IncrementalAlterConfigs but
// still used by older tools: each resource's dynamic configs are replaced
// by exactly the given set (configs not named are deleted). v1: throttle
// semantics as v0; v2: flexible.
//
//   - TOPIC and BROKER resources as in IncrementalAlterConfigs; BROKER_LOGGER
//     is refused with INVALID_REQUEST, as Kafka does for this API.
//   - Null values are refused (INVALID_REQUEST), as Kafka does.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) alterConfigsAPI() wire.API {
	return wire.API{Key: 33, Min: 0, Max: 2, Handle: typed(h.alterConfigsLegacy)}
}

func (h *Handlers) alterConfigsLegacy(ctx context.Context, c *wire.Conn, req *kmsg.AlterConfigsRequest) (kmsg.Response, error) {
	rs := make([]alterResource, len(req.Resources))
	for i, r := range req.Resources {
		a := alterResource{typ: r.ResourceType, name: r.ResourceName}
		a.alt.Replace, a.alt.Set = true, map[string]string{}
		for _, cfg := range r.Configs {
			a.names = append(a.names, cfg.Name)
			if cfg.Value == nil {
				a.nulls = append(a.nulls, cfg.Name)
				continue
			}
			a.alt.Set[cfg.Name] = *cfg.Value
		}
		rs[i] = a
	}
	sub := func(keep []int) kmsg.Request {
		s := *req
		s.Resources = nil
		for _, i := range keep {
			s.Resources = append(s.Resources, req.Resources[i])
		}
		return &s
	}
	parse := func(resp kmsg.Response) []alterOutcome {
		var out []alterOutcome
		for _, r := range resp.(*kmsg.AlterConfigsResponse).Resources {
			out = append(out, alterOutcome{r.ResourceType, r.ResourceName, r.ErrorCode, r.ErrorMessage})
		}
		return out
	}
	outs, err := h.alterConfigs(ctx, c, rs, req.ValidateOnly, false, sub, parse)
	if err != nil {
		return nil, err
	}
	resp := req.ResponseKind().(*kmsg.AlterConfigsResponse)
	for _, o := range outs {
		rr := kmsg.NewAlterConfigsResponseResource()
		rr.ResourceType, rr.ResourceName, rr.ErrorCode, rr.ErrorMessage = o.typ, o.name, o.code, o.msg
		resp.Resources = append(resp.Resources, rr)
	}
	return resp, nil
}
