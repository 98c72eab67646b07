package api

// OffsetFetch (key 9), v1–9.
//
//   - v1 is what librdkafka ≤ 2.11 requires; v2: a null topic list means
//     every committed partition, and a top-level error; v5: leader epochs;
//     v6: flexible; v7: require_stable (KIP-447): a partition with a
//     transactional offset pending answers UNSTABLE_OFFSET_COMMIT, which
//     the client retries until the transaction ends; v8: several groups
//     per request; v9: KIP-848 member id and epoch, unused by classic
//     groups.
//   - Partitions without a committed offset answer -1, whatever the topic
//     (Kafka no longer checks it exists).
//   - Before v2 there is no top-level error: a group-level error is given
//     on every partition; from v2 it is given alone, as Kafka.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/coordinator/group"
	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) offsetFetchAPI() wire.API {
	return wire.API{Key: 9, Min: 1, Max: 9, Handle: typed(h.offsetFetch)}
}

func (h *Handlers) offsetFetch(ctx context.Context, c *wire.Conn, req *kmsg.OffsetFetchRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.OffsetFetchResponse)
	if req.Version >= 8 {
		for _, rg := range req.Groups {
			var parts []group.TopicPartition
			if rg.Topics != nil {
				parts = []group.TopicPartition{}
				for _, t := range rg.Topics {
					for _, p := range t.Partitions {
						parts = append(parts, group.TopicPartition{Topic: t.Topic, Partition: p})
					}
				}
			}
			offs, denied, err := h.fetchOffsetsAuthz(ctx, c, rg.Group, parts)
			sg := kmsg.NewOffsetFetchResponseGroup()
			sg.Group, sg.ErrorCode = rg.Group, codeFor(err)
			sg.Topics = []kmsg.OffsetFetchResponseGroupTopic{}
			for _, tp := range groupByTopic(offs) {
				st := kmsg.NewOffsetFetchResponseGroupTopic()
				st.Topic = tp[0].Topic
				for _, o := range tp {
					sp := kmsg.NewOffsetFetchResponseGroupTopicPartition()
					o, code := stable(o, req.RequireStable)
					sp.Partition, sp.Offset, sp.LeaderEpoch, sp.ErrorCode = o.Partition, o.Offset, o.LeaderEpoch, code
					sp.Metadata = &o.Metadata
					if denied[o.Topic] {
						sp.ErrorCode = errTopicAuthz
					}
					st.Partitions = append(st.Partitions, sp)
				}
				sg.Topics = append(sg.Topics, st)
			}
			resp.Groups = append(resp.Groups, sg)
		}
		return resp, nil
	}

	var parts []group.TopicPartition
	if req.Topics != nil || req.Version < 2 {
		parts = []group.TopicPartition{}
		for _, t := range req.Topics {
			for _, p := range t.Partitions {
				parts = append(parts, group.TopicPartition{Topic: t.Topic, Partition: p})
			}
		}
	}
	offs, denied, err := h.fetchOffsetsAuthz(ctx, c, req.Group, parts)
	code := codeFor(err)
	if err != nil {
		// v2+: the top-level error alone. v1: every requested partition
		// carries it.
		offs = nil
		if req.Version < 2 {
			for _, tp := range parts {
				offs = append(offs, group.OffsetData{TopicPartition: tp, Offset: -1, LeaderEpoch: -1})
			}
		}
	}
	resp.ErrorCode = code
	resp.Topics = []kmsg.OffsetFetchResponseTopic{}
	for _, tp := range groupByTopic(offs) {
		st := kmsg.NewOffsetFetchResponseTopic()
		st.Topic = tp[0].Topic
		for _, o := range tp {
			sp := kmsg.NewOffsetFetchResponseTopicPartition()
			o, unstable := stable(o, req.RequireStable)
			sp.Partition, sp.Offset, sp.LeaderEpoch, sp.ErrorCode = o.Partition, o.Offset, o.LeaderEpoch, unstable
			sp.Metadata = &o.Metadata
			if denied[o.Topic] {
				sp.ErrorCode = errTopicAuthz
			}
			if req.Version < 2 && code != 0 {
				sp.ErrorCode = code
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	h.logGroupError("OffsetFetch", req.Group, err)
	return resp, nil
}

// fetchOffsetsAuthz is FetchOffsets behind Kafka's checks: DESCRIBE on
// the group (else GROUP_AUTHORIZATION_FAILED for the group), and DESCRIBE
// on each topic: named partitions of a denied topic answer -1 with the
// topics in denied (TOPIC_AUTHORIZATION_FAILED), and denied topics are
// left out of an all-partitions (nil parts) answer.
func (h *Handlers) fetchOffsetsAuthz(ctx context.Context, c *wire.Conn, groupID string, parts []group.TopicPartition) ([]group.OffsetData, map[string]bool, error) {
	if !h.allowed(c, opDescribe, rtGroup, groupID) {
		return nil, nil, kerr.GroupAuthorizationFailed
	}
	describeOK := h.allowedNames(c, opDescribe, rtTopic)
	var denied []group.OffsetData
	deniedTopics := map[string]bool{}
	if parts != nil {
		allowed := []group.TopicPartition{}
		for _, tp := range parts {
			if describeOK(tp.Topic) {
				allowed = append(allowed, tp)
				continue
			}
			deniedTopics[tp.Topic] = true
			denied = append(denied, group.OffsetData{TopicPartition: tp, Offset: -1, LeaderEpoch: -1})
		}
		parts = allowed
	}
	offs, err := h.Groups.FetchOffsets(ctx, groupID, parts)
	if err != nil {
		return offs, nil, err
	}
	kept := offs[:0]
	for _, o := range offs {
		if describeOK(o.Topic) {
			kept = append(kept, o)
		}
	}
	return append(kept, denied...), deniedTopics, nil
}

// stable applies require_stable: a partition with a transactional offset
// pending has none to give yet.
func stable(o group.OffsetData, requireStable bool) (group.OffsetData, int16) {
	if !requireStable || !o.Unstable {
		return o, 0
	}
	o.Offset, o.LeaderEpoch, o.Metadata = -1, -1, ""
	return o, kerr.UnstableOffsetCommit.Code
}

// groupByTopic splits offsets into runs of one topic, keeping order.
func groupByTopic(offs []group.OffsetData) [][]group.OffsetData {
	var out [][]group.OffsetData
	idx := map[string]int{}
	for _, o := range offs {
		i, ok := idx[o.Topic]
		if !ok {
			i = len(out)
			idx[o.Topic] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], o)
	}
	return out
}
