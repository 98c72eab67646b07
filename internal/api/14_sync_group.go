package api

// SyncGroup (key 14), v0–5.
//
//   - v0 is served for librdkafka; v3: group.instance.id; v4: flexible;
//     v5: protocol type and name, checked against the group's and returned.
//   - The leader sends every member's assignment; the others wait until it
//     is stored in __consumer_offsets, then all get theirs. A member the
//     leader left out gets an empty assignment.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/coordinator/group"
	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) syncGroupAPI() wire.API {
	return wire.API{Key: 14, Min: 0, Max: 5, Handle: typed(h.syncGroup)}
}

func (h *Handlers) syncGroup(ctx context.Context, c *wire.Conn, req *kmsg.SyncGroupRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.SyncGroupResponse)
	if !h.allowed(c, opRead, rtGroup, req.Group) {
		resp.ErrorCode, resp.MemberAssignment = errGroupAuthz, []byte{}
		return resp, nil
	}
	sr := group.SyncRequest{
		Group: req.Group, Generation: req.Generation, MemberID: req.MemberID,
		InstanceID: req.InstanceID, ProtocolType: req.ProtocolType, Protocol: req.Protocol,
	}
	if len(req.GroupAssignment) > 0 {
		sr.Assignments = make(map[string][]byte, len(req.GroupAssignment))
		for _, a := range req.GroupAssignment {
			sr.Assignments[a.MemberID] = a.MemberAssignment
		}
	}
	res := h.Groups.Sync(ctx, sr)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	resp.ErrorCode = codeFor(res.Err)
	resp.ProtocolType, resp.Protocol = res.ProtocolType, res.Protocol
	resp.MemberAssignment = res.Assignment
	if resp.MemberAssignment == nil {
		resp.MemberAssignment = []byte{}
	}
	h.logGroupError("SyncGroup", req.Group, res.Err)
	return resp, nil
}
