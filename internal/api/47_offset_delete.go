package api

// OffsetDelete (key 47), v0 (KIP-496).
//
//   - Deletes committed offsets of a group: any of an Empty group's; of a
//     consumer group with members, those of topics it does not subscribe
//     to (GROUP_SUBSCRIBED_TO_TOPIC for the others). A non-consumer group
//     with members: NON_EMPTY_GROUP at the top level.
//   - Partitions of unknown topics: UNKNOWN_TOPIC_OR_PARTITION.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/coordinator/group"
	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) offsetDeleteAPI() wire.API {
	return wire.API{Key: 47, Min: 0, Max: 0, Handle: typed(h.offsetDelete)}
}

func (h *Handlers) offsetDelete(ctx context.Context, c *wire.Conn, req *kmsg.OffsetDeleteRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.OffsetDeleteResponse)
	if !h.allowed(c, opDelete, rtGroup, req.Group) {
		resp.ErrorCode, resp.Topics = errGroupAuthz, []kmsg.OffsetDeleteResponseTopic{}
		return resp, nil
	}
	readOK := h.allowedNames(c, opRead, rtTopic)
	im := h.Ctrl.Image()
	var parts []group.TopicPartition
	type at struct{ t, p int }
	var where []at
	for i, rt := range req.Topics {
		st := kmsg.NewOffsetDeleteResponseTopic()
		st.Topic = rt.Topic
		t := im.Topics[rt.Topic]
		for j, rp := range rt.Partitions {
			sp := kmsg.NewOffsetDeleteResponseTopicPartition()
			sp.Partition = rp.Partition
			switch {
			case !readOK(rt.Topic):
				sp.ErrorCode = errTopicAuthz
			case t == nil || rp.Partition < 0 || int(rp.Partition) >= len(t.Partitions):
				sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
			default:
				parts = append(parts, group.TopicPartition{Topic: rt.Topic, Partition: rp.Partition})
				where = append(where, at{i, j})
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	errs, err := h.Groups.DeleteOffsets(ctx, req.Group, parts)
	if err != nil {
		// A group-level error replaces the partition results, as Kafka.
		resp.ErrorCode = codeFor(err)
		resp.Topics = []kmsg.OffsetDeleteResponseTopic{}
		h.logGroupError("OffsetDelete", req.Group, err)
		return resp, nil
	}
	for k, w := range where {
		resp.Topics[w.t].Partitions[w.p].ErrorCode = codeFor(errs[k])
	}
	return resp, nil
}
