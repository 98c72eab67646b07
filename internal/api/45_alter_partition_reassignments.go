package api

// AlterPartitionReassignments (key 45), v0 (KIP-455): sets the target
// replicas of partitions, or cancels their reassignment (null replicas).
// The controller decides (brokers forward it); per-partition errors are
// UNKNOWN_TOPIC_OR_PARTITION, INVALID_REPLICA_ASSIGNMENT,
// NO_REASSIGNMENT_IN_PROGRESS and INVALID_REQUEST (a partition named
// twice). A request-wide failure (NOT_CONTROLLER, a timeout) is the
// top-level error and every partition's.
//
// v1 (KIP-860): AllowReplicationFactorChange=false makes a target of
// another length than the partition's replication factor fail with
// INVALID_REPLICATION_FACTOR ("The replication factor is changed from 3 to
// 2"); v0 always allows it.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/controller"
	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) alterPartitionReassignmentsAPI() wire.API {
	return wire.API{Key: 45, Min: 0, Max: 1, Handle: typed(h.alterPartitionReassignments)}
}

func (h *Handlers) alterPartitionReassignments(ctx context.Context, c *wire.Conn, req *kmsg.AlterPartitionAssignmentsRequest) (kmsg.Response, error) {
	if !h.allowedCluster(c, opAlter) {
		return alterReassignmentsDenied(req), nil
	}
	if resp, err, ok := h.forward(ctx, c, req); ok {
		return resp, err
	}
	resp := req.ResponseKind().(*kmsg.AlterPartitionAssignmentsResponse)
	var reqs []controller.Reassignment
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			reqs = append(reqs, controller.Reassignment{Topic: t.Topic, Partition: p.Partition, Replicas: p.Replicas,
				DisallowReplicationFactorChange: req.Version >= 1 && !req.AllowReplicationFactorChange})
		}
	}
	results, err := h.Ctrl.AlterPartitionReassignments(ctx, reqs)
	if err != nil {
		resp.ErrorCode, resp.ErrorMessage = codeFor(err), errMsg(err)
	}
	i := 0
	for _, t := range req.Topics {
		rt := kmsg.NewAlterPartitionAssignmentsResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewAlterPartitionAssignmentsResponseTopicPartition()
			rp.Partition = p.Partition
			perr := err
			if err == nil {
				perr = results[i].Err
			}
			rp.ErrorCode, rp.ErrorMessage = codeFor(perr), errMsg(perr)
			rt.Partitions = append(rt.Partitions, rp)
			i++
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp, nil
}
