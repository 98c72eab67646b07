package api

// Authorization of the forwardable topic admin requests (CreateTopics,
// DeleteTopics, CreatePartitions; Kafka's ControllerApis). Without an
// envelope the controller cannot know the client's principal, so the
// receiving broker checks it: denied topics are answered here and only
// the allowed ones are forwarded (or served). The controller checks again
// with the forwarding broker's principal.

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/wire"
)

// createTopicsAuthz returns req without the topics c may not create
// (CREATE on the cluster, else on the topic) and their results.
func (h *Handlers) createTopicsAuthz(c *wire.Conn, req *kmsg.CreateTopicsRequest) (*kmsg.CreateTopicsRequest, []kmsg.CreateTopicsResponseTopic) {
	if h.allowedCluster(c, opCreate) {
		return req, nil
	}
	createOK := h.allowedNames(c, opCreate, rtTopic)
	var denied []kmsg.CreateTopicsResponseTopic
	kept := []kmsg.CreateTopicsRequestTopic{}
	for _, t := range req.Topics {
		if createOK(t.Topic) {
			kept = append(kept, t)
			continue
		}
		rt := kmsg.NewCreateTopicsResponseTopic()
		rt.Topic, rt.NumPartitions, rt.ReplicationFactor = t.Topic, -1, -1
		msg := "Authorization failed."
		rt.ErrorCode, rt.ErrorMessage = errTopicAuthz, &msg
		denied = append(denied, rt)
	}
	if len(denied) == 0 {
		return req, nil
	}
	r := *req
	r.Topics = kept
	return &r, denied
}

// hideCreatedTopicConfigs blanks what CreateTopics v5+ tells of a created
// topic the principal may not DESCRIBE_CONFIGS (Kafka's controller:
// partitions and replication factor -1, no configs,
// TOPIC_AUTHORIZATION_FAILED as the config error).
func (h *Handlers) hideCreatedTopicConfigs(c *wire.Conn, resp *kmsg.CreateTopicsResponse) {
	describeOK := h.allowedNames(c, opDescribeConfigs, rtTopic)
	for i := range resp.Topics {
		rt := &resp.Topics[i]
		if rt.ErrorCode != 0 || describeOK(rt.Topic) {
			continue
		}
		rt.NumPartitions, rt.ReplicationFactor, rt.Configs = -1, -1, nil
		rt.ConfigErrorCode = errTopicAuthz
	}
}

// deleteTopicsAuthz returns req without the topics c may not delete and
// their results (Kafka's ControllerApis.deleteTopics): DELETE on the
// cluster allows all; a name needs DESCRIBE and DELETE; a topic named by
// id needs DELETE, and its name is told only to a principal that may
// DESCRIBE it. Unknown ids are left to the controller.
func (h *Handlers) deleteTopicsAuthz(c *wire.Conn, req *kmsg.DeleteTopicsRequest) (*kmsg.DeleteTopicsRequest, []kmsg.DeleteTopicsResponseTopic) {
	if h.allowedCluster(c, opDelete) {
		return req, nil
	}
	describeOK := h.allowedNames(c, opDescribe, rtTopic)
	deleteOK := h.allowedNames(c, opDelete, rtTopic)
	var denied []kmsg.DeleteTopicsResponseTopic
	deny := func(name *string, id [16]byte) {
		rt := kmsg.NewDeleteTopicsResponseTopic()
		rt.Topic, rt.TopicID, rt.ErrorCode = name, id, errTopicAuthz
		denied = append(denied, rt)
	}
	r := *req
	if req.Version < 6 {
		r.TopicNames = []string{}
		for _, n := range req.TopicNames {
			if describeOK(n) && deleteOK(n) {
				r.TopicNames = append(r.TopicNames, n)
			} else {
				deny(&n, [16]byte{})
			}
		}
		return &r, denied
	}
	im := h.Ctrl.Image()
	r.Topics = []kmsg.DeleteTopicsRequestTopic{}
	for _, t := range req.Topics {
		switch {
		case t.Topic != nil:
			if !describeOK(*t.Topic) || !deleteOK(*t.Topic) {
				deny(t.Topic, [16]byte{})
				continue
			}
		case im.TopicsByID[t.TopicID] != nil:
			name := im.TopicsByID[t.TopicID].Name
			if !deleteOK(name) {
				if describeOK(name) {
					deny(&name, t.TopicID)
				} else {
					deny(nil, t.TopicID)
				}
				continue
			}
		}
		r.Topics = append(r.Topics, t)
	}
	return &r, denied
}

// createPartitionsAuthz returns req without the topics c may not ALTER
// and their results.
func (h *Handlers) createPartitionsAuthz(c *wire.Conn, req *kmsg.CreatePartitionsRequest) (*kmsg.CreatePartitionsRequest, []kmsg.CreatePartitionsResponseTopic) {
	alterOK := h.allowedNames(c, opAlter, rtTopic)
	var denied []kmsg.CreatePartitionsResponseTopic
	kept := []kmsg.CreatePartitionsRequestTopic{}
	for _, t := range req.Topics {
		if alterOK(t.Topic) {
			kept = append(kept, t)
			continue
		}
		rt := kmsg.NewCreatePartitionsResponseTopic()
		rt.Topic, rt.ErrorCode = t.Topic, errTopicAuthz
		denied = append(denied, rt)
	}
	if len(denied) == 0 {
		return req, nil
	}
	r := *req
	r.Topics = kept
	return &r, denied
}
