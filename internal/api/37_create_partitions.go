package api

// CreatePartitions (key 37), v0–3. Grows a topic; shrinking is refused with
// INVALID_PARTITIONS. v2: flexible.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/controller"
	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) createPartitionsAPI() wire.API {
	return wire.API{Key: 37, Min: 0, Max: 3, Handle: typed(h.createPartitions)}
}

func (h *Handlers) createPartitions(ctx context.Context, c *wire.Conn, req *kmsg.CreatePartitionsRequest) (kmsg.Response, error) {
	req, denied := h.createPartitionsAuthz(c, req)
	if len(denied) == 0 {
		return h.createAllowedPartitions(ctx, c, req)
	}
	resp := req.ResponseKind().(*kmsg.CreatePartitionsResponse)
	if len(req.Topics) > 0 {
		r, err := h.createAllowedPartitions(ctx, c, req)
		if r == nil || err != nil {
			return r, err
		}
		resp = r.(*kmsg.CreatePartitionsResponse)
	}
	resp.Topics = append(resp.Topics, denied...)
	return resp, nil
}

// createAllowedPartitions grows the topics that passed authorization.
func (h *Handlers) createAllowedPartitions(ctx context.Context, c *wire.Conn, req *kmsg.CreatePartitionsRequest) (kmsg.Response, error) {
	if resp, err, ok := h.forward(ctx, c, req); ok {
		return resp, err
	}
	resp := req.ResponseKind().(*kmsg.CreatePartitionsResponse)
	reqs := make([]controller.CreatePartitions, 0, len(req.Topics))
	for _, t := range req.Topics {
		cp := controller.CreatePartitions{Topic: t.Topic, Count: t.Count}
		for _, a := range t.Assignment {
			cp.Assignments = append(cp.Assignments, a.Replicas)
		}
		reqs = append(reqs, cp)
	}
	for _, r := range h.Ctrl.CreatePartitions(ctx, reqs, req.ValidateOnly) {
		rt := kmsg.NewCreatePartitionsResponseTopic()
		rt.Topic = r.Topic
		rt.ErrorCode, rt.ErrorMessage = codeFor(r.Err), errMsg(r.Err)
		resp.Topics = append(resp.Topics, rt)
	}
	return resp, nil
}
