package api

// DeleteAcls (key 31), v0–3. Needs ALTER on the cluster; forwarded to the
// active controller, which removes what each filter matches and reports
// the removed ACLs per filter.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/auth"
	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) deleteAclsAPI() wire.API {
	return wire.API{Key: 31, Min: 0, Max: 3, Handle: typed(h.deleteAcls)}
}

func (h *Handlers) deleteAcls(ctx context.Context, c *wire.Conn, req *kmsg.DeleteACLsRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.DeleteACLsResponse)
	if code, msg := h.aclGate(c, opAlter); code != 0 {
		for range req.Filters {
			r := kmsg.NewDeleteACLsResponseResult()
			r.ErrorCode, r.ErrorMessage = code, msg
			resp.Results = append(resp.Results, r)
		}
		return resp, nil
	}
	if r, err, ok := h.forward(ctx, c, req); ok {
		return r, err
	}
	filters := make([]auth.Filter, len(req.Filters))
	for i, f := range req.Filters {
		pt := f.ResourcePatternType
		if req.Version == 0 {
			pt = kmsg.ACLResourcePatternTypeLiteral
		}
		filters[i] = auth.Filter{ResourceType: f.ResourceType, Name: f.ResourceName, PatternType: pt,
			Principal: f.Principal, Host: f.Host, Operation: f.Operation, Permission: f.PermissionType}
	}
	matched, errs := h.Ctrl.DeleteAcls(ctx, filters)
	for i, err := range errs {
		r := kmsg.NewDeleteACLsResponseResult()
		r.ErrorCode, r.ErrorMessage = codeFor(err), errMsg(err)
		for _, a := range matched[i] {
			m := kmsg.NewDeleteACLsResponseResultMatchingACL()
			m.ResourceType, m.ResourceName = kmsg.ACLResourceType(a.ResourceType), a.ResourceName
			m.ResourcePatternType = kmsg.ACLResourcePatternType(a.PatternType)
			m.Principal, m.Host = a.Principal, a.Host
			m.Operation, m.PermissionType = kmsg.ACLOperation(a.Operation), kmsg.ACLPermissionType(a.PermissionType)
			r.MatchingACLs = append(r.MatchingACLs, m)
		}
		resp.Results = append(resp.Results, r)
	}
	return resp, nil
}
