package api

// DescribeCluster (key 60), v0–2 (KIP-700). v1: endpoint type (1 = brokers;
// 2 = controllers, which combined-mode nodes also are); v2: fenced brokers.

import (
	"context"
	"sort"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) describeClusterAPI() wire.API {
	return wire.API{Key: 60, Min: 0, Max: 2, Handle: typed(h.describeCluster)}
}

func (h *Handlers) describeCluster(_ context.Context, c *wire.Conn, req *kmsg.DescribeClusterRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.DescribeClusterResponse)
	im := h.Ctrl.Image()
	resp.ClusterID = im.ClusterID
	resp.ControllerID = h.clientControllerID(im)
	resp.EndpointType = req.EndpointType
	resp.ClusterAuthorizedOperations = h.clusterAuthorizedOps(c, req.IncludeClusterAuthorizedOperations)
	ids := make([]int32, 0, len(im.Brokers))
	for id := range im.Brokers {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		b := im.Brokers[id]
		ep, ok := endpointFor(b, c.Listener)
		if !ok || (b.Fenced && !req.IncludeFencedBrokers) {
			continue
		}
		rb := kmsg.NewDescribeClusterResponseBroker()
		rb.NodeID, rb.Host, rb.Port, rb.Rack, rb.IsFenced = b.ID, ep.Host, ep.Port, b.Rack, b.Fenced
		resp.Brokers = append(resp.Brokers, rb)
	}
	return resp, nil
}
