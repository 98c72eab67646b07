package api

// DeleteRecords (key 21), v0–2.
//
//   - Each partition's leader moves its log start offset ("low watermark")
//     to the requested offset; -1 means the high watermark. Beyond the high
//     watermark → OFFSET_OUT_OF_RANGE; not the leader →
//     NOT_LEADER_OR_FOLLOWER; a compact-only topic → POLICY_VIOLATION.
//   - Whole segments below it are removed by the next retention pass;
//     reads below it get OFFSET_OUT_OF_RANGE at once.
//   - The answer comes once the leader has moved it; Kafka waits (up to
//     TimeoutMillis) for the followers too. Followers pick it up from
//     their next Fetch response.
//   - v2: flexible.

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/replica"
	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) deleteRecordsAPI() wire.API {
	return wire.API{Key: 21, Min: 0, Max: 2, Handle: typed(h.deleteRecords)}
}

func (h *Handlers) deleteRecords(_ context.Context, c *wire.Conn, req *kmsg.DeleteRecordsRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.DeleteRecordsResponse)
	deleteOK := h.allowedNames(c, opDelete, rtTopic)
	for _, rt := range req.Topics {
		st := kmsg.NewDeleteRecordsResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewDeleteRecordsResponseTopicPartition()
			sp.Partition = rp.Partition
			if !deleteOK(rt.Topic) {
				sp.LowWatermark, sp.ErrorCode = -1, errTopicAuthz
				st.Partitions = append(st.Partitions, sp)
				continue
			}
			low, err := h.Replicas.DeleteRecords(rt.Topic, rp.Partition, rp.Offset)
			sp.LowWatermark = low
			switch {
			case errors.Is(err, replica.ErrPolicyViolation):
				sp.ErrorCode = kerr.PolicyViolation.Code
			case err != nil:
				sp.ErrorCode = codeFor(err)
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}
