package api

// LeaveGroup (key 13), v0–5.
//
//   - v0–2: one member id, its error at the top level; v3: a batch of
//     members, each by member id or (admin removal of a static member,
//     KIP-345) by group.instance.id alone; v4: flexible; v5: a reason per
//     member, logged.
//   - A missing group answers every member UNKNOWN_MEMBER_ID with no
//     top-level error, as Kafka.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/coordinator/group"
	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) leaveGroupAPI() wire.API {
	return wire.API{Key: 13, Min: 0, Max: 5, Handle: typed(h.leaveGroup)}
}

func (h *Handlers) leaveGroup(ctx context.Context, c *wire.Conn, req *kmsg.LeaveGroupRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.LeaveGroupResponse)
	if !h.allowed(c, opRead, rtGroup, req.Group) {
		resp.ErrorCode = errGroupAuthz
		if req.Version >= 3 {
			resp.Members = []kmsg.LeaveGroupResponseMember{}
		}
		return resp, nil
	}
	var members []group.LeaveMember
	if req.Version < 3 {
		members = []group.LeaveMember{{MemberID: req.MemberID}}
	}
	for _, m := range req.Members {
		lm := group.LeaveMember{MemberID: m.MemberID, InstanceID: m.InstanceID}
		if m.Reason != nil {
			lm.Reason = *m.Reason
		}
		members = append(members, lm)
	}
	results, err := h.Groups.Leave(ctx, req.Group, members)
	if err != nil {
		resp.ErrorCode = codeFor(err)
		h.logGroupError("LeaveGroup", req.Group, err)
		return resp, nil
	}
	if req.Version < 3 {
		resp.ErrorCode = codeFor(results[0].Err)
		return resp, nil
	}
	resp.Members = []kmsg.LeaveGroupResponseMember{}
	for _, r := range results {
		rm := kmsg.NewLeaveGroupResponseMember()
		rm.MemberID, rm.InstanceID, rm.ErrorCode = r.MemberID, r.InstanceID, codeFor(r.Err)
		resp.Members = append(resp.Members, rm)
	}
	return resp, nil
}
