package api

// ElectLeaders (key 43), v0–2 (KIP-183, KIP-460): move leadership to each
// partition's preferred (first) replica, or give leaderless partitions an
// unclean leader. The controller decides, so brokers forward it.
//
//   - v0: preferred elections only, no top-level error code.
//   - v1: election type (0 preferred, 1 unclean; anything else is
//     INVALID_REQUEST) and a top-level error code.
//   - v2: flexible.
//   - Null topics means every partition; then partitions that need no
//     election are left out of the response (Kafka's controller does the
//     same). A request-wide failure (NOT_CONTROLLER, a timeout, a bad
//     election type) is the top-level code and, as in Kafka's
//     getErrorResponse, the code of every named partition.
//   - timeout_ms bounds the wait for the elections to be committed.

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/controller"
	"github.com/strom-project/strom/internal/wire"
)

// Election types of ElectLeaders v1+.
const (
	electPreferred int8 = 0
	electUnclean   int8 = 1
)

func (h *Handlers) electLeadersAPI() wire.API {
	return wire.API{Key: 43, Min: 0, Max: 2, Handle: typed(h.electLeaders)}
}

func (h *Handlers) electLeaders(ctx context.Context, c *wire.Conn, req *kmsg.ElectLeadersRequest) (kmsg.Response, error) {
	if !h.allowedCluster(c, opAlter) {
		return electLeadersError(req, errClusterDenied), nil
	}
	// Forwarded as at least v1, so that a NOT_CONTROLLER answer carries the
	// top-level code the controller client retries on; the client's own
	// version is restored when the response is encoded.
	fwd := *req
	fwd.Version = max(req.Version, 1)
	if resp, err, ok := h.forward(ctx, c, &fwd); ok {
		return resp, err
	}
	var parts []controller.TopicPartition
	if req.Topics != nil {
		parts = make([]controller.TopicPartition, 0, len(req.Topics))
		for _, t := range req.Topics {
			for _, p := range t.Partitions {
				parts = append(parts, controller.TopicPartition{Topic: t.Topic, Partition: p})
			}
		}
	}
	how := electPreferred
	if req.Version >= 1 {
		how = req.ElectionType
	}
	if how != electPreferred && how != electUnclean {
		err := fmt.Errorf("%w: Unknown election type %d", controller.ErrInvalidRequest, how)
		return electLeadersError(req, err), nil
	}
	if req.TimeoutMillis > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(req.TimeoutMillis)*time.Millisecond)
		defer cancel()
	}
	results, err := h.Ctrl.ElectLeaders(ctx, how == electUnclean, parts)
	if err != nil {
		return electLeadersError(req, err), nil
	}
	resp := req.ResponseKind().(*kmsg.ElectLeadersResponse)
	index := map[string]int{} // topic → its entry in resp.Topics
	for _, r := range results {
		i, ok := index[r.Topic]
		if !ok {
			i = len(resp.Topics)
			index[r.Topic] = i
			rt := kmsg.NewElectLeadersResponseTopic()
			rt.Topic = r.Topic
			resp.Topics = append(resp.Topics, rt)
		}
		rp := kmsg.NewElectLeadersResponseTopicPartition()
		rp.Partition, rp.ErrorCode, rp.ErrorMessage = r.Partition, codeFor(r.Err), errMsg(r.Err)
		resp.Topics[i].Partitions = append(resp.Topics[i].Partitions, rp)
	}
	return resp, nil
}

// electLeadersError is the response to a request that failed as a whole:
// err's code at the top and on every partition named.
func electLeadersError(req *kmsg.ElectLeadersRequest, err error) *kmsg.ElectLeadersResponse {
	resp := req.ResponseKind().(*kmsg.ElectLeadersResponse)
	code, msg := codeFor(err), errMsg(err)
	resp.ErrorCode = code
	for _, t := range req.Topics {
		rt := kmsg.NewElectLeadersResponseTopic()
		rt.Topic = t.Topic
		for _, p := range t.Partitions {
			rp := kmsg.NewElectLeadersResponseTopicPartition()
			rp.Partition, rp.ErrorCode, rp.ErrorMessage = p, code, msg
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}
