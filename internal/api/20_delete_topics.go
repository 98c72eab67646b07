package api

// DeleteTopics (key 20), v1–6.
//
//   - v0–5 name topics; v6 names them by name or id (KIP-516).
//   - v5: error messages; v4: flexible.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/controller"
	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) deleteTopicsAPI() wire.API {
	return wire.API{Key: 20, Min: 1, Max: 6, Handle: typed(h.deleteTopics)}
}

func (h *Handlers) deleteTopics(ctx context.Context, c *wire.Conn, req *kmsg.DeleteTopicsRequest) (kmsg.Response, error) {
	req, denied := h.deleteTopicsAuthz(c, req)
	if len(denied) == 0 {
		return h.deleteAllowedTopics(ctx, c, req)
	}
	resp := req.ResponseKind().(*kmsg.DeleteTopicsResponse)
	if len(req.Topics) > 0 || len(req.TopicNames) > 0 {
		r, err := h.deleteAllowedTopics(ctx, c, req)
		if r == nil || err != nil {
			return r, err
		}
		resp = r.(*kmsg.DeleteTopicsResponse)
	}
	resp.Topics = append(resp.Topics, denied...)
	return resp, nil
}

// deleteAllowedTopics deletes the topics that passed authorization.
func (h *Handlers) deleteAllowedTopics(ctx context.Context, c *wire.Conn, req *kmsg.DeleteTopicsRequest) (kmsg.Response, error) {
	if resp, err, ok := h.forward(ctx, c, req); ok {
		return resp, err
	}
	resp := req.ResponseKind().(*kmsg.DeleteTopicsResponse)
	var reqs []controller.DeleteTopic
	if req.Version >= 6 {
		for _, t := range req.Topics {
			d := controller.DeleteTopic{ID: metadata.Uuid(t.TopicID)}
			if t.Topic != nil {
				d.Name = *t.Topic
			}
			reqs = append(reqs, d)
		}
	} else {
		for _, n := range req.TopicNames {
			reqs = append(reqs, controller.DeleteTopic{Name: n})
		}
	}
	var results []controller.DeleteTopicResult
	if !h.Config.DeleteTopicEnable {
		for _, d := range reqs {
			results = append(results, controller.DeleteTopicResult{Name: d.Name, ID: d.ID, Err: controller.ErrTopicDeletionDisabled})
		}
	} else {
		results = h.Ctrl.DeleteTopics(ctx, reqs)
	}
	for _, r := range results {
		rt := kmsg.NewDeleteTopicsResponseTopic()
		if r.Name != "" {
			n := r.Name
			rt.Topic = &n
		}
		rt.TopicID = r.ID
		rt.ErrorCode, rt.ErrorMessage = codeFor(r.Err), errMsg(r.Err)
		resp.Topics = append(resp.Topics, rt)
	}
	return resp, nil
}
