package api

// DescribeTopicPartitions (key 75), v0 (KIP-966): paginated topic metadata
// with eligible leader replicas, used by kafka-topics.sh --describe in 4.x.
// The cursor names the first topic/partition of the next page.
// EligibleLeaderReplicas and LastKnownELR come from the controller's image
// (election.go); OfflineReplicas is always empty (Strom has one log dir
// state per broker, and a fenced broker is not "offline" in Kafka's sense).

import (
	"context"
	"sort"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) describeTopicPartitionsAPI() wire.API {
	return wire.API{Key: 75, Min: 0, Max: 0, Handle: typed(h.describeTopicPartitions)}
}

func (h *Handlers) describeTopicPartitions(_ context.Context, c *wire.Conn, req *kmsg.DescribeTopicPartitionsRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.DescribeTopicPartitionsResponse)
	im := h.Ctrl.Image()
	var names []string
	if len(req.Topics) == 0 {
		for n := range im.Topics {
			names = append(names, n)
		}
	} else {
		for _, t := range req.Topics {
			names = append(names, t.Topic)
		}
	}
	sort.Strings(names)
	limit := req.ResponsePartitionLimit
	if limit <= 0 {
		limit = 2000
	}
	startTopic, startPart := "", int32(0)
	if req.Cursor != nil {
		startTopic, startPart = req.Cursor.Topic, req.Cursor.Partition
	}
	names, denied := h.describableTopics(c, names, len(req.Topics) > 0, startTopic)
	// Denied named topics go last, also after the early cursor return.
	defer func() { resp.Topics = append(resp.Topics, denied...) }()
	count := int32(0)
	for _, n := range names {
		if n < startTopic {
			continue
		}
		rt := kmsg.NewDescribeTopicPartitionsResponseTopic()
		name := n
		rt.Topic, rt.AuthorizedOperations = &name, h.authorizedOps(c, rtTopic, n)
		t := im.Topics[n]
		if t == nil {
			rt.ErrorCode = kerr.UnknownTopicOrPartition.Code
			resp.Topics = append(resp.Topics, rt)
			continue
		}
		rt.TopicID, rt.IsInternal = t.ID, t.Internal
		for _, p := range t.Partitions {
			if n == startTopic && p.Partition < startPart {
				continue
			}
			if count == limit {
				cur := kmsg.NewDescribeTopicPartitionsResponseNextCursor()
				cur.Topic, cur.Partition = n, p.Partition
				resp.NextCursor = &cur
				resp.Topics = append(resp.Topics, rt)
				return resp, nil
			}
			rp := kmsg.NewDescribeTopicPartitionsResponseTopicPartition()
			rp.Partition, rp.LeaderID, rp.LeaderEpoch = p.Partition, p.Leader, p.LeaderEpoch
			rp.Replicas, rp.ISR = p.Replicas, p.ISR
			rp.EligibleLeaderReplicas, rp.LastKnownELR = nonNil(p.ELR), nonNil(p.LastKnownELR)
			rp.OfflineReplicas = []int32{}
			rt.Partitions = append(rt.Partitions, rp)
			count++
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp, nil
}

// describableTopics splits names into those c may DESCRIBE and, when they
// were named, TOPIC_AUTHORIZATION_FAILED entries for the others from the
// cursor's topic on (with no id: existence is not disclosed); unnamed ones
// are left out silently.
func (h *Handlers) describableTopics(c *wire.Conn, names []string, named bool, from string) ([]string, []kmsg.DescribeTopicPartitionsResponseTopic) {
	describeOK := h.allowedNames(c, opDescribe, rtTopic)
	var denied []kmsg.DescribeTopicPartitionsResponseTopic
	kept := names[:0]
	for _, n := range names {
		if describeOK(n) {
			kept = append(kept, n)
			continue
		}
		if named && n >= from {
			rt := kmsg.NewDescribeTopicPartitionsResponseTopic()
			name := n
			rt.Topic, rt.ErrorCode, rt.AuthorizedOperations = &name, errTopicAuthz, authorizedOpsNotRequested
			rt.Partitions = []kmsg.DescribeTopicPartitionsResponseTopicPartition{}
			denied = append(denied, rt)
		}
	}
	return kept, denied
}
