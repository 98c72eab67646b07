package api

// DescribeAcls (key 29), v0–3; CreateAcls (30) and DeleteAcls (31) are in
// the next files.
//
//   - Served from this broker's metadata image, after DESCRIBE on the
//     cluster; grouped by resource as Kafka does. v0 filters are LITERAL;
//     v1 adds pattern types; v2 flexible.
//   - Without an authorizer (authorizer.class.name unset) all three answer
//     SECURITY_DISABLED, as Kafka does: ACLs would not be enforced.

import (
	"cmp"
	"context"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/auth"
	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/wire"
)

const noAuthorizer = "No Authorizer is configured on the broker (authorizer.class.name)"

func (h *Handlers) describeAclsAPI() wire.API {
	return wire.API{Key: 29, Min: 0, Max: 3, Handle: typed(h.describeAcls)}
}

func (h *Handlers) describeAcls(_ context.Context, c *wire.Conn, req *kmsg.DescribeACLsRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.DescribeACLsResponse)
	if resp.ErrorCode, resp.ErrorMessage = h.aclGate(c, opDescribe); resp.ErrorCode != 0 {
		return resp, nil
	}
	pt := req.ResourcePatternType
	if req.Version == 0 {
		pt = kmsg.ACLResourcePatternTypeLiteral
	}
	f := auth.Filter{ResourceType: req.ResourceType, Name: req.ResourceName, PatternType: pt,
		Principal: req.Principal, Host: req.Host, Operation: req.Operation, Permission: req.PermissionType}
	if err := auth.ValidateFilter(f); err != nil {
		resp.ErrorCode, resp.ErrorMessage = kerr.InvalidRequest.Code, strPtr(err.Error())
		return resp, nil
	}
	var acls []metadata.ACL
	for _, a := range h.Ctrl.Image().ACLs {
		if f.Matches(a) {
			acls = append(acls, a)
		}
	}
	slices.SortFunc(acls, compareACL)
	for _, a := range acls {
		n := len(resp.Resources)
		if n == 0 || resp.Resources[n-1].ResourceType != kmsg.ACLResourceType(a.ResourceType) ||
			resp.Resources[n-1].ResourceName != a.ResourceName || resp.Resources[n-1].ResourcePatternType != kmsg.ACLResourcePatternType(a.PatternType) {
			r := kmsg.NewDescribeACLsResponseResource()
			r.ResourceType, r.ResourceName = kmsg.ACLResourceType(a.ResourceType), a.ResourceName
			r.ResourcePatternType = kmsg.ACLResourcePatternType(a.PatternType)
			resp.Resources = append(resp.Resources, r)
			n++
		}
		e := kmsg.NewDescribeACLsResponseResourceACL()
		e.Principal, e.Host = a.Principal, a.Host
		e.Operation, e.PermissionType = kmsg.ACLOperation(a.Operation), kmsg.ACLPermissionType(a.PermissionType)
		resp.Resources[n-1].ACLs = append(resp.Resources[n-1].ACLs, e)
	}
	return resp, nil
}

// aclGate is what every ACL API checks first: an authorizer must be on
// (SECURITY_DISABLED otherwise, as Kafka) and the principal may perform op
// on the cluster.
func (h *Handlers) aclGate(c *wire.Conn, op kmsg.ACLOperation) (int16, *string) {
	switch {
	case h.Authorizer == nil:
		return kerr.SecurityDisabled.Code, strPtr(noAuthorizer)
	case !h.allowedCluster(c, op):
		return errClusterAuthz, nil
	}
	return 0, nil
}

func compareACL(a, b metadata.ACL) int {
	return cmp.Or(cmp.Compare(a.ResourceType, b.ResourceType), cmp.Compare(a.PatternType, b.PatternType),
		cmp.Compare(a.ResourceName, b.ResourceName), cmp.Compare(a.Principal, b.Principal), cmp.Compare(a.Host, b.Host),
		cmp.Compare(a.Operation, b.Operation), cmp.Compare(a.PermissionType, b.PermissionType))
}
