package api

// DeleteGroups (key 42), v0–2.
//
//   - v2: flexible. (v3, with error messages, is Kafka 4.2's.)
//   - Only an Empty group can be deleted (NON_EMPTY_GROUP otherwise); its
//     offsets and metadata are tombstoned in __consumer_offsets. A group
//     that does not exist: GROUP_ID_NOT_FOUND.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) deleteGroupsAPI() wire.API {
	return wire.API{Key: 42, Min: 0, Max: 2, Handle: typed(h.deleteGroups)}
}

func (h *Handlers) deleteGroups(ctx context.Context, c *wire.Conn, req *kmsg.DeleteGroupsRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.DeleteGroupsResponse)
	for _, id := range req.Groups {
		rg := kmsg.NewDeleteGroupsResponseGroup()
		rg.Group = id
		if !h.allowed(c, opDelete, rtGroup, id) {
			rg.ErrorCode = errGroupAuthz
			resp.Groups = append(resp.Groups, rg)
			continue
		}
		err := h.Groups.DeleteGroup(ctx, id)
		rg.ErrorCode = codeFor(err)
		h.logGroupError("DeleteGroups", id, err)
		resp.Groups = append(resp.Groups, rg)
	}
	return resp, nil
}
