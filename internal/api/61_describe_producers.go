package api

// DescribeProducers (key 61), v0 (KIP-664): the active idempotent and
// transactional producers of partitions this broker leads, with the first
// offset of each one's open transaction — what `strom txn describe-producers`
// and `find-hanging` read. Needs READ on the topic (Kafka's check);
// NOT_LEADER_OR_FOLLOWER on a follower, UNKNOWN_TOPIC_OR_PARTITION for a
// partition not hosted here.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) describeProducersAPI() wire.API {
	return wire.API{Key: 61, Min: 0, Max: 0, Handle: typed(h.describeProducers)}
}

func (h *Handlers) describeProducers(_ context.Context, c *wire.Conn, req *kmsg.DescribeProducersRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.DescribeProducersResponse)
	readOK := h.allowedNames(c, opRead, rtTopic)
	for _, rt := range req.Topics {
		st := kmsg.NewDescribeProducersResponseTopic()
		st.Topic = rt.Topic
		for _, p := range rt.Partitions {
			sp := kmsg.NewDescribeProducersResponseTopicPartition()
			sp.Partition = p
			part, err := h.Replicas.Partition(rt.Topic, p)
			switch {
			case !readOK(rt.Topic):
				sp.ErrorCode = errTopicAuthz
			case err != nil:
				sp.ErrorCode = codeFor(err)
			case !part.IsLeader():
				sp.ErrorCode = kerr.NotLeaderForPartition.Code
			default:
				for _, e := range part.Log.Producers() {
					ap := kmsg.NewDescribeProducersResponseTopicPartitionActiveProducer()
					ap.ProducerID, ap.ProducerEpoch, ap.LastSequence = e.ProducerID, int32(e.ProducerEpoch), e.LastSequence
					ap.LastTimestamp, ap.CoordinatorEpoch, ap.CurrentTxnStartOffset = e.LastTimestamp, e.CoordinatorEpoch, e.CurrentTxnStartOffset
					sp.ActiveProducers = append(sp.ActiveProducers, ap)
				}
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}
