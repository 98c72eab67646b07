package api

// Heartbeat (key 12), v0–4.
//
//   - v0 is served for librdkafka; v3: group.instance.id (KIP-345); v4:
//     flexible.
//   - A member learns of a rebalance here (REBALANCE_IN_PROGRESS) and
//     rejoins; a member the group dropped gets UNKNOWN_MEMBER_ID, a stale
//     generation ILLEGAL_GENERATION.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/coordinator/group"
	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) heartbeatAPI() wire.API {
	return wire.API{Key: 12, Min: 0, Max: 4, Handle: typed(h.heartbeat)}
}

func (h *Handlers) heartbeat(ctx context.Context, c *wire.Conn, req *kmsg.HeartbeatRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.HeartbeatResponse)
	if !h.allowed(c, opRead, rtGroup, req.Group) {
		resp.ErrorCode = errGroupAuthz
		return resp, nil
	}
	err := h.Groups.Heartbeat(ctx, group.HeartbeatRequest{
		Group: req.Group, Generation: req.Generation, MemberID: req.MemberID, InstanceID: req.InstanceID,
	})
	resp.ErrorCode = codeFor(err)
	h.logGroupError("Heartbeat", req.Group, err)
	return resp, nil
}
