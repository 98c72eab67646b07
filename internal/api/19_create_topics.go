package api

// CreateTopics (key 19), v2–7.
//
//   - -1 partitions / replication factor take num.partitions /
//     default.replication.factor (v4+, KIP-464; accepted from v2 here too).
//   - v1: error messages; v5: the created topic's partitions, replication
//     factor and configs in the response, flexible; v7: topic ids.
//   - validate_only checks everything and creates nothing.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/controller"
	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) createTopicsAPI() wire.API {
	return wire.API{Key: 19, Min: 2, Max: 7, Handle: typed(h.createTopics)}
}

func (h *Handlers) createTopics(ctx context.Context, c *wire.Conn, req *kmsg.CreateTopicsRequest) (kmsg.Response, error) {
	req, denied := h.createTopicsAuthz(c, req)
	resp := req.ResponseKind().(*kmsg.CreateTopicsResponse)
	if len(req.Topics) > 0 || len(denied) == 0 {
		r, err := h.createAllowedTopics(ctx, c, req)
		if r == nil || err != nil {
			return r, err
		}
		resp = r.(*kmsg.CreateTopicsResponse)
	}
	resp.Topics = append(resp.Topics, denied...)
	h.hideCreatedTopicConfigs(c, resp)
	return resp, nil
}

// createAllowedTopics creates the topics that passed authorization.
func (h *Handlers) createAllowedTopics(ctx context.Context, c *wire.Conn, req *kmsg.CreateTopicsRequest) (kmsg.Response, error) {
	if resp, err, ok := h.forward(ctx, c, req); ok {
		return resp, err
	}
	resp := req.ResponseKind().(*kmsg.CreateTopicsResponse)
	reqs := make([]controller.CreateTopic, 0, len(req.Topics))
	for _, t := range req.Topics {
		ct := controller.CreateTopic{Name: t.Topic, NumPartitions: t.NumPartitions, ReplicationFactor: t.ReplicationFactor,
			Configs: map[string]string{}}
		if len(t.ReplicaAssignment) > 0 {
			ct.Assignments = map[int32][]int32{}
			for _, a := range t.ReplicaAssignment {
				ct.Assignments[a.Partition] = a.Replicas
			}
		}
		for _, c := range t.Configs {
			if c.Value != nil {
				ct.Configs[c.Name] = *c.Value
			}
		}
		reqs = append(reqs, ct)
	}
	for _, r := range h.Ctrl.CreateTopics(ctx, reqs, req.ValidateOnly) {
		rt := kmsg.NewCreateTopicsResponseTopic()
		rt.Topic, rt.TopicID = r.Name, r.ID
		rt.NumPartitions, rt.ReplicationFactor = -1, -1
		if r.Err != nil {
			rt.ErrorCode, rt.ErrorMessage = codeFor(r.Err), errMsg(r.Err)
		} else {
			rt.NumPartitions, rt.ReplicationFactor = r.NumPartitions, r.ReplicationFactor
			rt.Configs = h.createdTopicConfigs(r.Configs)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp, nil
}

// createdTopicConfigs lists every topic config with its effective value,
// as Kafka's v5+ response does.
func (h *Handlers) createdTopicConfigs(overrides map[string]string) []kmsg.CreateTopicsResponseTopicConfig {
	var out []kmsg.CreateTopicsResponseTopicConfig
	dyn := h.dynamicConfig(h.Ctrl.Image())
	for _, name := range sortedKeys(config.TopicDefs) {
		v, src, _ := dyn.TopicValue(name, overrides)
		c := kmsg.NewCreateTopicsResponseTopicConfig()
		c.Name, c.Value, c.Source = name, &v, int8(src)
		out = append(out, c)
	}
	return out
}
