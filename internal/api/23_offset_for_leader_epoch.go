package api

// OffsetForLeaderEpoch (key 23), v2–4.
//
// Answers "where does epoch E end in your log?" (KIP-101, KIP-279): the
// start offset of the next larger epoch, or the log end offset for the
// current one. Consumers use it to detect truncation after an unclean
// leader change (KIP-320); followers use it before fetching.
//
//   - v2: current leader epoch fencing; v3: replica id; v4: flexible.
//   - Only the leader answers, whoever asks (Kafka's fetchOnlyFromLeader):
//     followers truncate through DivergingEpoch in Fetch instead. A new
//     leader records its epoch at its log end on election, so the current
//     epoch always ends at the log end offset.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/replica"
	"github.com/strom-project/strom/internal/wire"
)

var errNotLeader = replica.ErrNotLeader

func (h *Handlers) offsetForLeaderEpochAPI() wire.API {
	return wire.API{Key: 23, Min: 2, Max: 4, Handle: typed(h.offsetForLeaderEpoch)}
}

func (h *Handlers) offsetForLeaderEpoch(_ context.Context, c *wire.Conn, req *kmsg.OffsetForLeaderEpochRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.OffsetForLeaderEpochResponse)
	// Followers pass with CLUSTER_ACTION; consumers (KIP-320) need
	// DESCRIBE on each topic. Kafka asks so whatever the replica id.
	describeOK := h.allowedNames(c, opDescribe, rtTopic)
	if h.allowedCluster(c, opClusterAction) {
		describeOK = func(string) bool { return true }
	}
	for _, rt := range req.Topics {
		st := kmsg.NewOffsetForLeaderEpochResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewOffsetForLeaderEpochResponseTopicPartition()
			sp.Partition, sp.LeaderEpoch, sp.EndOffset = rp.Partition, -1, -1
			if !describeOK(rt.Topic) {
				sp.ErrorCode = errTopicAuthz
				st.Partitions = append(st.Partitions, sp)
				continue
			}
			p, err := h.Replicas.Partition(rt.Topic, rp.Partition)
			if err == nil {
				err = p.CheckEpoch(rp.CurrentLeaderEpoch)
			}
			if err == nil && !p.IsLeader() {
				err = errNotLeader
			}
			if err != nil {
				sp.ErrorCode = codeFor(err)
			} else if e, ok := p.Log.EndOffsetForEpoch(rp.LeaderEpoch); ok {
				sp.LeaderEpoch, sp.EndOffset = e.LeaderEpoch, e.EndOffset
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}
