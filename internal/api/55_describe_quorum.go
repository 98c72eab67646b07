package api

// DescribeQuorum (key 55), v0–2 (KIP-595, KIP-836, KIP-853): the metadata
// quorum's leader, epoch (raft term), high watermark (commit index) and
// each voter's log end. Only the raft leader knows the voters' progress,
// so brokers forward it to the active controller. Offsets are raft
// indexes, the same numbers brokers report as their metadata offset.
//
// v1's last fetch / caught-up timestamps are -1 (etcd raft does not track
// them); v2 lists each voter's CONTROLLER endpoint.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/raft"
	"github.com/strom-project/strom/internal/wire"
)

// metadataTopic is the metadata log's Kafka name.
const clusterMetadataTopic = "__cluster_metadata"

func (h *Handlers) describeQuorumAPI() wire.API {
	return wire.API{Key: 55, Min: 0, Max: 2, Handle: typed(h.describeQuorum)}
}

func (h *Handlers) describeQuorum(ctx context.Context, c *wire.Conn, req *kmsg.DescribeQuorumRequest) (kmsg.Response, error) {
	if !h.allowedCluster(c, opDescribe) {
		resp := req.ResponseKind().(*kmsg.DescribeQuorumResponse)
		resp.ErrorCode = errClusterAuthz
		return resp, nil
	}
	if resp, err, ok := h.forward(ctx, c, req); ok {
		return resp, err
	}
	resp := req.ResponseKind().(*kmsg.DescribeQuorumResponse)
	st, err := h.Ctrl.QuorumStatus(ctx)
	for _, t := range req.Topics {
		rt := kmsg.NewDescribeQuorumResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewDescribeQuorumResponseTopicPartition()
			rp.Partition = p.Partition
			switch {
			case t.Topic != clusterMetadataTopic || p.Partition != 0:
				rp.ErrorCode = kerr.UnknownTopicOrPartition.Code
			case err != nil:
				rp.ErrorCode = codeFor(err)
			case !h.Ctrl.Active():
				rp.ErrorCode = kerr.NotLeaderForPartition.Code
			default:
				rp.LeaderID, rp.LeaderEpoch, rp.HighWatermark = st.Leader, int32(st.Term), int64(st.Committed)
				rp.CurrentVoters = replicaStates(st.Voters)
				rp.Observers = replicaStates(st.Observers)
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	if req.Version >= 2 {
		for _, v := range h.Config.Voters {
			n := kmsg.NewDescribeQuorumResponseNode()
			n.NodeID = v.ID
			l := kmsg.NewDescribeQuorumResponseNodeListener()
			l.Name, l.Host, l.Port = h.Config.ControllerListenerNames[0], v.Host, uint16(v.Port)
			n.Listeners = append(n.Listeners, l)
			resp.Nodes = append(resp.Nodes, n)
		}
	}
	return resp, nil
}

func replicaStates(rs []raft.ReplicaStatus) []kmsg.DescribeQuorumResponseTopicPartitionReplicaState {
	out := make([]kmsg.DescribeQuorumResponseTopicPartitionReplicaState, 0, len(rs))
	for _, r := range rs {
		s := kmsg.NewDescribeQuorumResponseTopicPartitionReplicaState()
		s.ReplicaID, s.LogEndOffset = r.ID, r.Match
		s.LastFetchTimestamp, s.LastCaughtUpTimestamp = -1, -1
		out = append(out, s)
	}
	return out
}
