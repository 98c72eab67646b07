package api

// IncrementalAlterConfigs (key 44), v0–1 (KIP-339). v1: flexible.
//
//   - Each resource's configs change one by one: SET, DELETE, and for list
//     configs APPEND / SUBTRACT (INVALID_CONFIG for other configs).
//   - Resource types TOPIC and BROKER ("" = the cluster-wide dynamic
//     default, "<id>" = that broker, which must be the receiving one, as
//     in Kafka). BROKER_LOGGER is refused with INVALID_REQUEST: Strom has
//     no per-logger levels to change.
//   - The receiving broker checks the request's shape as Kafka's
//     ConfigAdminManager.preprocess does (duplicates, null values, broker
//     ids) and forwards the rest to the active controller (KIP-590), which
//     validates against the registry and commits ConfigRecords.

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/controller"
	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) incrementalAlterConfigsAPI() wire.API {
	return wire.API{Key: 44, Min: 0, Max: 1, Handle: typed(h.incrementalAlterConfigs)}
}

func (h *Handlers) incrementalAlterConfigs(ctx context.Context, c *wire.Conn, req *kmsg.IncrementalAlterConfigsRequest) (kmsg.Response, error) {
	rs := make([]alterResource, len(req.Resources))
	for i, r := range req.Resources {
		a := alterResource{typ: r.ResourceType, name: r.ResourceName}
		for _, cfg := range r.Configs {
			a.names = append(a.names, cfg.Name)
			op := config.Op{Name: cfg.Name, Type: config.OpType(cfg.Op)}
			if cfg.Value != nil {
				op.Value = *cfg.Value
			} else if op.Type != config.OpDelete {
				a.nulls = append(a.nulls, cfg.Name)
			}
			if op.Type < config.OpSet || op.Type > config.OpSubtract {
				a.badOp = fmt.Sprintf("Unknown operations type %d", cfg.Op)
			}
			a.alt.Ops = append(a.alt.Ops, op)
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
		for _, r := range resp.(*kmsg.IncrementalAlterConfigsResponse).Resources {
			out = append(out, alterOutcome{r.ResourceType, r.ResourceName, r.ErrorCode, r.ErrorMessage})
		}
		return out
	}
	outs, err := h.alterConfigs(ctx, c, rs, req.ValidateOnly, true, sub, parse)
	if err != nil {
		return nil, err
	}
	resp := req.ResponseKind().(*kmsg.IncrementalAlterConfigsResponse)
	for _, o := range outs {
		rr := kmsg.NewIncrementalAlterConfigsResponseResource()
		rr.ResourceType, rr.ResourceName, rr.ErrorCode, rr.ErrorMessage = o.typ, o.name, o.code, o.msg
		resp.Resources = append(resp.Resources, rr)
	}
	return resp, nil
}

// alterResource is one resource of an AlterConfigs or
// IncrementalAlterConfigs request, as both handlers see it.
type alterResource struct {
	typ   kmsg.ConfigResourceType
	name  string
	names []string // config names, to find duplicates
	nulls []string // configs with a null value where one is needed
	badOp string   // an unknown operation, if any
	alt   controller.AlterConfig
}

// alterOutcome is one resource's answer.
type alterOutcome struct {
	typ  kmsg.ConfigResourceType
	name string
	code int16
	msg  *string
}

// alterConfigs answers rs in request order: resources the preprocessing
// refuses get their error here, the rest are decided by the active
// controller (forwarded as sub(kept indices) when that is another node).
func (h *Handlers) alterConfigs(ctx context.Context, c *wire.Conn, rs []alterResource, validateOnly, incremental bool,
	sub func(keep []int) kmsg.Request, parse func(kmsg.Response) []alterOutcome) ([]alterOutcome, error) {
	outs := make([]alterOutcome, len(rs))
	var keep []int
	for i, r := range rs {
		outs[i] = alterOutcome{typ: r.typ, name: r.name}
		if msg := h.preprocessAlter(c, rs, i, incremental); msg != "" {
			outs[i].code, outs[i].msg = kerr.InvalidRequest.Code, &msg
			continue
		}
		if code := h.configDenied(c, opAlterConfigs, r.typ, r.name); code != 0 {
			// Answered here, never forwarded: the controller would
			// see the forwarding broker's principal, not the client's.
			outs[i].code = code
			continue
		}
		keep = append(keep, i)
	}
	if len(keep) == 0 {
		return outs, nil
	}
	if resp, err, ok := h.forward(ctx, c, sub(keep)); ok {
		if err != nil {
			return nil, err
		}
		// The controller answers every resource it was sent, once each
		// (preprocessing removed duplicates); match them by resource.
		byRes := map[alterOutcome]alterOutcome{}
		for _, o := range parse(resp) {
			byRes[alterOutcome{typ: o.typ, name: o.name}] = o
		}
		for _, i := range keep {
			o, found := byRes[alterOutcome{typ: rs[i].typ, name: rs[i].name}]
			if !found {
				o = outs[i]
				o.code = kerr.UnknownServerError.Code
			}
			outs[i] = o
		}
		return outs, nil
	}
	alts := make([]controller.AlterConfig, len(keep))
	for j, i := range keep {
		alts[j] = rs[i].alt
		alts[j].Resource = metadata.ConfigResource{Type: metadata.ConfigResourceType(rs[i].typ), Name: rs[i].name}
	}
	for j, err := range h.Ctrl.AlterConfigs(ctx, alts, validateOnly) {
		i := keep[j]
		outs[i].code, outs[i].msg = codeFor(err), errMsg(err)
		if outs[i].code == kerr.UnknownServerError.Code {
			h.Logger.Warn("altering configs", "resource", rs[i].name, "err", err)
		}
	}
	return outs, nil
}

// preprocessAlter is Kafka's ConfigAdminManager.preprocess for rs[i]: the
// checks a broker makes before forwarding. It returns the INVALID_REQUEST
// message, or "". Broker ids are checked only on
// client listeners: a forwarded request was checked by the broker that
// received it.
func (h *Handlers) preprocessAlter(c *wire.Conn, rs []alterResource, i int, incremental bool) string {
	r := rs[i]
	fail := fmt.Sprintf
	for j, o := range rs {
		if j != i && o.typ == r.typ && o.name == r.name {
			return fail("Each resource must appear at most once.")
		}
	}
	sorted := slices.Sorted(slices.Values(r.names))
	if len(slices.Compact(sorted)) != len(r.names) {
		return fail("Error due to duplicate config keys")
	}
	if len(r.nulls) > 0 {
		return fail("Null value not supported for : %s", strings.Join(r.nulls, ", "))
	}
	if r.badOp != "" {
		return fail("%s", r.badOp)
	}
	switch r.typ {
	case kmsg.ConfigResourceTypeTopic:
	case kmsg.ConfigResourceTypeBroker:
		if r.name == "" || h.Config.IsControllerListener(c.Listener) {
			break
		}
		id, err := strconv.ParseInt(r.name, 10, 32)
		if err != nil {
			return fail("Node id must be an integer, but it is: %s", r.name)
		}
		if int32(id) != h.NodeID {
			return fail("Unexpected broker id, expected %d, but received %s", h.NodeID, r.name)
		}
	case kmsg.ConfigResourceTypeBrokerLogger:
		if !incremental {
			return fail("AlterConfigs is deprecated and does not support the resource type BROKER_LOGGER")
		}
		return fail("BROKER_LOGGER configs are not supported: Strom has no per-logger log levels to change")
	default:
		return fail("Unknown resource type %d", int8(r.typ))
	}
	return ""
}
