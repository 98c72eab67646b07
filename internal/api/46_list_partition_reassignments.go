package api

// ListPartitionReassignments (key 46), v0 (KIP-455): the reassignments in
// progress with their replicas, adding and removing replicas; null topics
// lists every partition. Partitions that do not exist or are not being
// reassigned are left out (Kafka does the same). Only the active
// controller answers; brokers forward it.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/controller"
	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) listPartitionReassignmentsAPI() wire.API {
	return wire.API{Key: 46, Min: 0, Max: 0, Handle: typed(h.listPartitionReassignments)}
}

func (h *Handlers) listPartitionReassignments(ctx context.Context, c *wire.Conn, req *kmsg.ListPartitionReassignmentsRequest) (kmsg.Response, error) {
	if !h.allowedCluster(c, opDescribe) {
		resp := req.ResponseKind().(*kmsg.ListPartitionReassignmentsResponse)
		resp.ErrorCode = errClusterAuthz
		return resp, nil
	}
	if resp, err, ok := h.forward(ctx, c, req); ok {
		return resp, err
	}
	resp := req.ResponseKind().(*kmsg.ListPartitionReassignmentsResponse)
	var parts []controller.TopicPartition
	if req.Topics != nil {
		parts = []controller.TopicPartition{}
		for _, t := range req.Topics {
			for _, p := range t.Partitions {
				parts = append(parts, controller.TopicPartition{Topic: t.Topic, Partition: p})
			}
		}
	}
	list, err := h.Ctrl.ListPartitionReassignments(ctx, parts)
	if err != nil {
		resp.ErrorCode, resp.ErrorMessage = codeFor(err), errMsg(err)
		return resp, nil
	}
	for _, r := range list {
		if n := len(resp.Topics); n == 0 || resp.Topics[n-1].Topic != r.Topic {
			rt := kmsg.NewListPartitionReassignmentsResponseTopic()
			rt.Topic = r.Topic
			resp.Topics = append(resp.Topics, rt)
		}
		rp := kmsg.NewListPartitionReassignmentsResponseTopicPartition()
		rp.Partition = r.Partition
		rp.Replicas, rp.AddingReplicas, rp.RemovingReplicas = r.Replicas, nonNil(r.AddingReplicas), nonNil(r.RemovingReplicas)
		rt := &resp.Topics[len(resp.Topics)-1]
		rt.Partitions = append(rt.Partitions, rp)
	}
	return resp, nil
}

// nonNil returns s, or an empty slice for nil (the wire arrays are not
// nullable).
func nonNil(s []int32) []int32 {
	if s == nil {
		return []int32{}
	}
	return s
}
