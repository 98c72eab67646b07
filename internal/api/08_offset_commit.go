package api

// OffsetCommit (key 8), v1–9 (Kafka 4 serves 2–9).
//
//   - v1 is kept for librdkafka ≤ 2.11, which enables its balanced
//     consumer only when OffsetCommit 1–2 is in range; v1 carries a
//     per-partition commit timestamp (-1: now).
//   - v2–4: a retention time (-1: offsets.retention.minutes) that makes
//     the commits expire at a fixed time, Kafka's pre-2.1 semantics;
//     v6: leader epoch; v7: group.instance.id; v8: flexible; v9: KIP-848
//     member epochs, which for classic groups are the generation.
//   - Generation -1 with no member id commits from outside group
//     management (kadm, standalone consumers): allowed while the group has
//     no members.
//   - Partitions of topics the metadata does not know are refused with
//     UNKNOWN_TOPIC_OR_PARTITION before reaching the coordinator, as Kafka.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/coordinator/group"
	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) offsetCommitAPI() wire.API {
	return wire.API{Key: 8, Min: 1, Max: 9, Handle: typed(h.offsetCommit)}
}

func (h *Handlers) offsetCommit(ctx context.Context, c *wire.Conn, req *kmsg.OffsetCommitRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.OffsetCommitResponse)
	im := h.Ctrl.Image()
	// READ on the group, else every partition fails; then READ on each
	// topic, before its existence is looked at (Kafka).
	groupOK := h.allowed(c, opRead, rtGroup, req.Group)
	readOK := h.allowedNames(c, opRead, rtTopic)
	cr := group.CommitRequest{
		Group: req.Group, Generation: req.Generation, MemberID: req.MemberID,
		InstanceID: req.InstanceID, RetentionMs: req.RetentionTimeMillis,
	}
	if req.Version < 2 || req.Version > 4 {
		cr.RetentionMs = -1
	}
	// slot[i][j] is where topic i partition j sits in cr.Offsets, or -1.
	slot := make([][]int, len(req.Topics))
	for i, rt := range req.Topics {
		st := kmsg.NewOffsetCommitResponseTopic()
		st.Topic = rt.Topic
		t := im.Topics[rt.Topic]
		slot[i] = make([]int, len(rt.Partitions))
		for j, rp := range rt.Partitions {
			sp := kmsg.NewOffsetCommitResponseTopicPartition()
			sp.Partition = rp.Partition
			st.Partitions = append(st.Partitions, sp)
			if !groupOK || !readOK(rt.Topic) {
				st.Partitions[j].ErrorCode = errTopicAuthz
				if !groupOK {
					st.Partitions[j].ErrorCode = errGroupAuthz
				}
				slot[i][j] = -1
				continue
			}
			if t == nil || rp.Partition < 0 || int(rp.Partition) >= len(t.Partitions) {
				st.Partitions[j].ErrorCode = kerr.UnknownTopicOrPartition.Code
				slot[i][j] = -1
				continue
			}
			slot[i][j] = len(cr.Offsets)
			cr.Offsets = append(cr.Offsets, group.CommitOffset{
				TopicPartition: group.TopicPartition{Topic: rt.Topic, Partition: rp.Partition},
				Offset:         rp.Offset, LeaderEpoch: rp.LeaderEpoch, Metadata: rp.Metadata, Timestamp: rp.Timestamp,
			})
		}
		resp.Topics = append(resp.Topics, st)
	}
	if len(cr.Offsets) == 0 {
		return resp, nil
	}
	errs := h.Groups.CommitOffsets(ctx, cr)
	for i := range resp.Topics {
		for j := range resp.Topics[i].Partitions {
			if k := slot[i][j]; k >= 0 {
				resp.Topics[i].Partitions[j].ErrorCode = codeFor(errs[k])
				h.logGroupError("OffsetCommit", req.Group, errs[k])
			}
		}
	}
	return resp, nil
}
