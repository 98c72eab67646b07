package api

// DescribeGroups (key 15), v0–6.
//
//   - v1: throttle; v3: authorized operations (with no authorizer, every
//     group operation Kafka knows: READ, DESCRIBE, DELETE,
//     DESCRIBE_CONFIGS, ALTER_CONFIGS); v4: member
//     group.instance.id; v5: flexible; v6: GROUP_ID_NOT_FOUND with a
//     message for a group that does not exist (KIP-1043; before, it is
//     reported in state Dead).
//   - Member metadata and assignments are shown only for a Stable group.

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) describeGroupsAPI() wire.API {
	return wire.API{Key: 15, Min: 0, Max: 6, Handle: typed(h.describeGroups)}
}

func (h *Handlers) describeGroups(ctx context.Context, c *wire.Conn, req *kmsg.DescribeGroupsRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.DescribeGroupsResponse)
	for _, id := range req.Groups {
		rg := kmsg.NewDescribeGroupsResponseGroup()
		rg.Group = id
		rg.AuthorizedOperations = authorizedOpsNotRequested
		rg.Members = []kmsg.DescribeGroupsResponseGroupMember{}
		if !h.allowed(c, opDescribe, rtGroup, id) {
			rg.ErrorCode = errGroupAuthz
			resp.Groups = append(resp.Groups, rg)
			continue
		}
		if req.IncludeAuthorizedOperations {
			rg.AuthorizedOperations = h.authorizedOps(c, rtGroup, id)
		}
		d, err := h.Groups.DescribeGroup(ctx, id)
		switch {
		case err != nil:
			rg.ErrorCode = codeFor(err)
			h.logGroupError("DescribeGroups", id, err)
		case !d.Exists && req.Version >= 6:
			rg.ErrorCode = kerr.GroupIDNotFound.Code
			msg := fmt.Sprintf("Group %s not found.", id)
			rg.ErrorMessage = &msg
			rg.State = d.State
		default:
			rg.State, rg.ProtocolType, rg.Protocol = d.State, d.ProtocolType, d.Protocol
			for _, m := range d.Members {
				rm := kmsg.NewDescribeGroupsResponseGroupMember()
				rm.MemberID, rm.InstanceID, rm.ClientID, rm.ClientHost = m.MemberID, m.InstanceID, m.ClientID, m.ClientHost
				rm.ProtocolMetadata, rm.MemberAssignment = m.Metadata, m.Assignment
				rg.Members = append(rg.Members, rm)
			}
		}
		resp.Groups = append(resp.Groups, rg)
	}
	return resp, nil
}
