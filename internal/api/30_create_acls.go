package api

// CreateAcls (key 30), v0–3. Needs ALTER on the cluster; forwarded to the
// active controller (KIP-590), which validates each ACL as Kafka's
// AclControlManager (INVALID_REQUEST with its message) and writes them to
// the metadata log. v0 creations are LITERAL; v1 adds pattern types.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) createAclsAPI() wire.API {
	return wire.API{Key: 30, Min: 0, Max: 3, Handle: typed(h.createAcls)}
}

func (h *Handlers) createAcls(ctx context.Context, c *wire.Conn, req *kmsg.CreateACLsRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.CreateACLsResponse)
	if code, msg := h.aclGate(c, opAlter); code != 0 {
		for range req.Creations {
			r := kmsg.NewCreateACLsResponseResult()
			r.ErrorCode, r.ErrorMessage = code, msg
			resp.Results = append(resp.Results, r)
		}
		return resp, nil
	}
	if r, err, ok := h.forward(ctx, c, req); ok {
		return r, err
	}
	acls := make([]metadata.ACL, len(req.Creations))
	for i, cr := range req.Creations {
		pt := cr.ResourcePatternType
		if req.Version == 0 {
			pt = kmsg.ACLResourcePatternTypeLiteral
		}
		acls[i] = metadata.ACL{ResourceType: int8(cr.ResourceType), ResourceName: cr.ResourceName, PatternType: int8(pt),
			Principal: cr.Principal, Host: cr.Host, Operation: int8(cr.Operation), PermissionType: int8(cr.PermissionType)}
	}
	for _, err := range h.Ctrl.CreateAcls(ctx, acls) {
		r := kmsg.NewCreateACLsResponseResult()
		r.ErrorCode, r.ErrorMessage = codeFor(err), errMsg(err)
		resp.Results = append(resp.Results, r)
	}
	return resp, nil
}
