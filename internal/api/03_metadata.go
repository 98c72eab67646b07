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

	// Kafka's order: DESCRIBE first (a denied topic's existence is not
	// disclosed), then, for missing topics to auto-create, CREATE on the
	// cluster or on the topic.
	describeOK := h.allowedNames(c, opDescribe, rtTopic)
	createOK := h.allowedNames(c, opCreate, rtTopic)
	if h.allowedCluster(c, opCreate) {
		createOK = func(string) bool { return true }
	}
	var missing []string
	if !all && autoCreate {
		for _, t := range req.Topics {
			if t.Topic != nil && im.Topics[*t.Topic] == nil && describeOK(*t.Topic) && createOK(*t.Topic) {
				missing = append(missing, *t.Topic)
			}
		}
	}
	created := map[string]int16{}
	if len(missing) > 0 {
		created = h.autoCreate(ctx, missing)
		im = h.Ctrl.Image()
	}

	resp.Brokers = brokersFor(im, c.Listener)
	cid := im.ClusterID
	resp.ClusterID = &cid
	resp.ControllerID = h.clientControllerID(im)
	resp.AuthorizedOperations = authorizedOpsNotRequested
	if req.Version >= 8 && req.Version <= 10 {
		resp.AuthorizedOperations = h.clusterAuthorizedOps(c, req.IncludeClusterAuthorizedOperations)
	}
	topicOps := func(mt *kmsg.MetadataResponseTopic) {
		if req.Version >= 8 && req.IncludeTopicAuthorizedOperations && mt.Topic != nil {
			mt.AuthorizedOperations = h.authorizedOps(c, rtTopic, *mt.Topic)
		}
	}

	if all {
		names := make([]string, 0, len(im.Topics))
		for n := range im.Topics {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if !describeOK(n) {
				continue // left out of an all-topics answer
			}
			mt := metadataTopic(im.Topics[n])
			topicOps(&mt)
			resp.Topics = append(resp.Topics, mt)
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
		if code := metadataDenied(rt, t, describeOK, createOK, autoCreate); code != 0 {
			mt := kmsg.NewMetadataResponseTopic()
			// Named by id: the id is echoed (ids are not secret, Kafka);
			// named by name: no id, which would disclose existence.
			mt.Topic = rt.Topic
			if rt.Topic == nil {
				mt.TopicID = rt.TopicID
			}
			mt.AuthorizedOperations = authorizedOpsNotRequested
			mt.ErrorCode = code
			resp.Topics = append(resp.Topics, mt)
			continue
		}
		if t != nil {
			mt := metadataTopic(t)
			topicOps(&mt)
			resp.Topics = append(resp.Topics, mt)
			continue
		}
		mt := kmsg.NewMetadataResponseTopic()
		mt.Topic, mt.TopicID = rt.Topic, rt.TopicID
		mt.AuthorizedOperations = authorizedOpsNotRequested
		mt.ErrorCode = kerr.UnknownTopicOrPartition.Code
		if rt.Topic == nil {
			mt.ErrorCode = kerr.UnknownTopicID.Code
		} else if code, ok := created[*rt.Topic]; ok {
			mt.ErrorCode = code
		}
		topicOps(&mt)
		resp.Topics = append(resp.Topics, mt)
	}
	return resp, nil
}

// metadataDenied is TOPIC_AUTHORIZATION_FAILED for a named topic the
// principal may not DESCRIBE, or, when it is missing and would be
// auto-created, may not CREATE; 0 otherwise. t is the topic (nil when
// missing); an unknown topic id is not an authorization matter.
func metadataDenied(rt kmsg.MetadataRequestTopic, t *metadata.Topic, describeOK, createOK func(string) bool, autoCreate bool) int16 {
	switch {
	case rt.Topic == nil && t == nil:
		return 0
	case rt.Topic == nil:
		if !describeOK(t.Name) {
			return errTopicAuthz
		}
	case !describeOK(*rt.Topic):
		return errTopicAuthz
	case t == nil && autoCreate && !createOK(*rt.Topic):
		return errTopicAuthz
	}
	return 0
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

// autoCreate asks the active controller to create topics with the default
// partitions and replication factor, and returns the error code to report
// for each: the creation's error, or LEADER_NOT_AVAILABLE when it worked
// but this broker's metadata does not show the topic yet (clients retry,
// as with Kafka's auto-created topics).
func (h *Handlers) autoCreate(ctx context.Context, names []string) map[string]int16 {
	out := make(map[string]int16, len(names))
	if h.ToController == nil {
		for _, n := range names {
			out[n] = kerr.UnknownTopicOrPartition.Code
		}
		return out
	}
	req := kmsg.NewPtrCreateTopicsRequest()
	req.SetVersion(7)
	req.TimeoutMillis = int32(forwardTimeout.Milliseconds())
	for _, n := range names {
		t := kmsg.NewCreateTopicsRequestTopic()
		t.Topic, t.NumPartitions, t.ReplicationFactor = n, -1, -1
		req.Topics = append(req.Topics, t)
		out[n] = kerr.LeaderNotAvailable.Code
	}
	ctx, cancel := context.WithTimeout(ctx, forwardTimeout)
	defer cancel()
	resp, err := h.ToController(ctx, req)
	if err != nil {
		h.Logger.Warn("auto-creating topics", "topics", names, "err", err)
		return out
	}
	for _, t := range resp.(*kmsg.CreateTopicsResponse).Topics {
		if t.ErrorCode != 0 && t.ErrorCode != kerr.TopicAlreadyExists.Code {
			out[t.Topic] = t.ErrorCode
		}
	}
	return out
}
