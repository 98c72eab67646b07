package api

// JoinGroup (key 11), v0–9.
//
//   - v0–1 are served again (Kafka 4.1, KAFKA-19444): older librdkafka and
//     segmentio/kafka-go need them. v0 has no rebalance timeout: the
//     session timeout stands in for it.
//   - v4: a dynamic member's first join gets MEMBER_ID_REQUIRED with its
//     member id (KIP-394); v5: group.instance.id, static membership
//     (KIP-345); v6: flexible; v7: protocol type and name in the response
//     (nullable); v8: a reason, logged; v9: skip_assignment for a static
//     leader rejoining a stable group (KIP-814).
//   - The request waits until the rebalance's join phase completes: up to
//     the largest rebalance timeout of the members.

import (
	"context"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/coordinator/group"
	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) joinGroupAPI() wire.API {
	return wire.API{Key: 11, Min: 0, Max: 9, Handle: typed(h.joinGroup)}
}

func (h *Handlers) joinGroup(ctx context.Context, c *wire.Conn, req *kmsg.JoinGroupRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.JoinGroupResponse)
	if !h.allowed(c, opRead, rtGroup, req.Group) {
		resp.ErrorCode, resp.Members = errGroupAuthz, []kmsg.JoinGroupResponseMember{}
		return resp, nil
	}
	rebalance := req.RebalanceTimeoutMillis
	if req.Version == 0 {
		rebalance = req.SessionTimeoutMillis
	}
	jr := group.JoinRequest{
		Group: req.Group, MemberID: req.MemberID, ProtocolType: req.ProtocolType,
		SessionTimeout:         time.Duration(req.SessionTimeoutMillis) * time.Millisecond,
		RebalanceTimeout:       time.Duration(rebalance) * time.Millisecond,
		ClientHost:             clientHost(c),
		RequireKnownMemberID:   req.Version >= 4 && req.InstanceID == nil,
		SupportsSkipAssignment: req.Version >= 9,
	}
	if req.Version >= 5 {
		jr.InstanceID = req.InstanceID
	}
	if c.ClientID != nil {
		jr.ClientID = *c.ClientID
	}
	if req.Reason != nil {
		jr.Reason = *req.Reason
	}
	for _, p := range req.Protocols {
		jr.Protocols = append(jr.Protocols, group.Protocol{Name: p.Name, Metadata: p.Metadata})
	}
	res := h.Groups.Join(ctx, jr)
	if ctx.Err() != nil {
		return nil, ctx.Err() // the connection is going away
	}
	resp.ErrorCode = codeFor(res.Err)
	resp.Generation, resp.MemberID, resp.LeaderID = res.Generation, res.MemberID, res.LeaderID
	resp.ProtocolType, resp.Protocol, resp.SkipAssignment = res.ProtocolType, res.Protocol, res.SkipAssignment
	for _, m := range res.Members {
		rm := kmsg.NewJoinGroupResponseMember()
		rm.MemberID, rm.InstanceID, rm.ProtocolMetadata = m.MemberID, m.InstanceID, m.Metadata
		resp.Members = append(resp.Members, rm)
	}
	if resp.Members == nil {
		resp.Members = []kmsg.JoinGroupResponseMember{}
	}
	h.logGroupError("JoinGroup", req.Group, res.Err)
	return resp, nil
}

// clientHost is how Kafka shows a member's address: "/" and the IP.
func clientHost(c *wire.Conn) string {
	if a, ok := c.RemoteAddr.(*net.TCPAddr); ok {
		return "/" + a.IP.String()
	}
	if c.RemoteAddr != nil {
		return "/" + c.RemoteAddr.String()
	}
	return ""
}

// logGroupError logs coordinator errors that are not part of the
// protocol's normal flow.
func (h *Handlers) logGroupError(api, groupID string, err error) {
	if err != nil && codeFor(err) == unknownServerError {
		h.Logger.Error(api+" failed", "group", groupID, "err", err)
	}
}
