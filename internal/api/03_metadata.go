package api

// Metadata (key 3), v0–13.
//
//   - v0: an empty topic list means all topics; v1+: null means all, empty
//     means none.
//   - v0–3: naming a missing topic creates it when auto.create.topics.enable
//     is true (kafka-python relies on this); v4+ only when the request also
//     sets AllowAutoTopicCreation.
//   - v7: leader epochs; v8–10: authorized operations (-2^31 = not asked);
//     v10: topic ids; v12: topics may be named by id alone.
//
// Topics are created synchronously through the controller, so an
// auto-created topic is returned with its leader in the same response
// rather than LEADER_NOT_AVAILABLE.

import (
	"context"
	"sort"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/controller"
	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/wire"
)

const authorizedOpsNotRequested = -2147483648

func (h *Handlers) metadataAPI() wire.API {
	return wire.API{Key: 3, Min: 0, Max: 13, Handle: typed(h.metadata)}
}

func (h *Handlers) metadata(ctx context.Context, c *wire.Conn, req *kmsg.MetadataRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.MetadataResponse)
	im := h.Ctrl.Image()
	all := req.Topics == nil || (req.Version == 0 && len(req.Topics) == 0)
	autoCreate := h.Config.AutoCreateTopics && (req.Version <= 3 || req.AllowAutoTopicCreation)

	var missing []string
	if !all && autoCreate {
		for _, t := range req.Topics {
			if t.Topic != nil && im.Topics[*t.Topic] == nil {
				missing = append(missing, *t.Topic)
			}
		}
	}
	created := map[string]error{}
	if len(missing) > 0 {
		reqs := make([]controller.CreateTopic, len(missing))
		for i, n := range missing {
			reqs[i] = controller.CreateTopic{Name: n, NumPartitions: -1, ReplicationFactor: -1}
		}
		for _, r := range h.Ctrl.CreateTopics(ctx, reqs, false) {
			created[r.Name] = r.Err
		}
		im = h.Ctrl.Image()
	}

	resp.Brokers = brokersFor(im, c.Listener)
	cid := im.ClusterID
	resp.ClusterID = &cid
	resp.ControllerID = h.NodeID
	resp.AuthorizedOperations = authorizedOpsNotRequested

	if all {
		names := make([]string, 0, len(im.Topics))
		for n := range im.Topics {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			resp.Topics = append(resp.Topics, metadataTopic(im.Topics[n]))
		}
		return resp, nil
	}
	for _, rt := range req.Topics {
		var t *metadata.Topic
		if rt.Topic != nil {
			t = im.Topics[*rt.Topic]
		} else {
			t = im.TopicsByID[rt.TopicID]
		}
		if t != nil {
			resp.Topics = append(resp.Topics, metadataTopic(t))
			continue
		}
		mt := kmsg.NewMetadataResponseTopic()
		mt.Topic, mt.TopicID = rt.Topic, rt.TopicID
		mt.AuthorizedOperations = authorizedOpsNotRequested
		mt.ErrorCode = kerr.UnknownTopicOrPartition.Code
		if rt.Topic == nil {
			mt.ErrorCode = kerr.UnknownTopicID.Code
		} else if err := created[*rt.Topic]; err != nil {
			mt.ErrorCode = codeFor(err)
		}
		resp.Topics = append(resp.Topics, mt)
	}
	return resp, nil
}

func metadataTopic(t *metadata.Topic) kmsg.MetadataResponseTopic {
	mt := kmsg.NewMetadataResponseTopic()
	name := t.Name
	mt.Topic, mt.TopicID, mt.IsInternal = &name, t.ID, t.Internal
	mt.AuthorizedOperations = authorizedOpsNotRequested
	for _, p := range t.Partitions {
		mp := kmsg.NewMetadataResponseTopicPartition()
		mp.Partition, mp.Leader, mp.LeaderEpoch = p.Partition, p.Leader, p.LeaderEpoch
		mp.Replicas, mp.ISR = p.Replicas, p.ISR
		mp.OfflineReplicas = []int32{}
		if p.Leader < 0 {
			mp.ErrorCode = kerr.LeaderNotAvailable.Code
		}
		mt.Partitions = append(mt.Partitions, mp)
	}
	return mt
}

// brokersFor lists unfenced brokers with their endpoint on the listener the
// client connected to, as Kafka does.
func brokersFor(im *metadata.Image, listener string) []kmsg.MetadataResponseBroker {
	ids := make([]int32, 0, len(im.Brokers))
	for id := range im.Brokers {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var out []kmsg.MetadataResponseBroker
	for _, id := range ids {
		b := im.Brokers[id]
		ep, ok := endpointFor(b, listener)
		if b.Fenced || !ok {
			continue
		}
		mb := kmsg.NewMetadataResponseBroker()
		mb.NodeID, mb.Host, mb.Port, mb.Rack = b.ID, ep.Host, ep.Port, b.Rack
		out = append(out, mb)
	}
	return out
}

func endpointFor(b *metadata.Broker, listener string) (metadata.Endpoint, bool) {
	for _, e := range b.Endpoints {
		if e.Listener == listener {
			return e, true
		}
	}
	return metadata.Endpoint{}, false
}
