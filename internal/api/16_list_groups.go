package api

// ListGroups (key 16), v0–5.
//
//   - Lists the groups this broker coordinates (clients ask every broker).
//   - v3: flexible; v4: state filter, case-insensitive, and each group's
//     state (KIP-518); v5: type filter and each group's type (KIP-848):
//     every group here is "classic".
//   - While an offsets partition is loading, the others' groups are listed
//     with COORDINATOR_LOAD_IN_PROGRESS.

import (
	"context"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/wire"
)

const classicGroupType = "classic"

func (h *Handlers) listGroupsAPI() wire.API {
	return wire.API{Key: 16, Min: 0, Max: 5, Handle: typed(h.listGroups)}
}

func (h *Handlers) listGroups(ctx context.Context, c *wire.Conn, req *kmsg.ListGroupsRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.ListGroupsResponse)
	resp.Groups = []kmsg.ListGroupsResponseGroup{}
	if len(req.TypesFilter) > 0 && !containsFold(req.TypesFilter, classicGroupType) {
		return resp, nil
	}
	groups, err := h.Groups.ListGroups(ctx, req.StatesFilter)
	resp.ErrorCode = codeFor(err)
	// DESCRIBE on the cluster shows every group; otherwise only those the
	// principal may DESCRIBE (Kafka).
	describeOK := h.allowedNames(c, opDescribe, rtGroup)
	if h.allowedCluster(c, opDescribe) {
		describeOK = func(string) bool { return true }
	}
	for _, g := range groups {
		if !describeOK(g.Group) {
			continue
		}
		rg := kmsg.NewListGroupsResponseGroup()
		rg.Group, rg.ProtocolType, rg.GroupState, rg.GroupType = g.Group, g.ProtocolType, g.State, classicGroupType
		resp.Groups = append(resp.Groups, rg)
	}
	return resp, nil
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
