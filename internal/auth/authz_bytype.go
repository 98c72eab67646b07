package auth

import (
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// AuthorizeAny is Kafka's authorizeByResourceType (KIP-679): whether the
// principal may perform op on at least one resource of the type. As in
// Kafka's default implementation, a hard-coded name is asked first (so
// super users and allow.everyone.if.no.acl.found pass, and a wildcard
// ALLOW does); otherwise some LITERAL or PREFIXED ALLOW must name
// resources that no DENY covers: a wildcard DENY covers all, a LITERAL
// DENY its name, a PREFIXED DENY every name starting with it.
func (a *Authorizer) AuthorizeAny(principal, host string, op kmsg.ACLOperation, rt kmsg.ACLResourceType) bool {
	if a.Authorize(principal, host, op, rt, "hardcode") {
		return true
	}
	var allowLit, allowPre, denyLit, denyPre []string
	for _, acl := range a.index.Load().ofType(rt) {
		aop := kmsg.ACLOperation(acl.Operation)
		if !principalMatches(acl.Principal, principal) || (acl.Host != host && acl.Host != "*") ||
			(aop != op && aop != kmsg.ACLOperationAll) {
			continue
		}
		prefixed := kmsg.ACLResourcePatternType(acl.PatternType) == kmsg.ACLResourcePatternTypePrefixed
		switch kmsg.ACLPermissionType(acl.PermissionType) {
		case kmsg.ACLPermissionTypeDeny:
			switch {
			case !prefixed && acl.ResourceName == "*":
				return false
			case prefixed:
				denyPre = append(denyPre, acl.ResourceName)
			default:
				denyLit = append(denyLit, acl.ResourceName)
			}
		case kmsg.ACLPermissionTypeAllow:
			if prefixed {
				allowPre = append(allowPre, acl.ResourceName)
			} else {
				allowLit = append(allowLit, acl.ResourceName)
			}
		}
	}
	deniedByPrefix := func(name string) bool {
		for _, d := range denyPre {
			if strings.HasPrefix(name, d) {
				return true
			}
		}
		return false
	}
	for _, name := range allowLit {
		if name == "*" || (!contains(denyLit, name) && !deniedByPrefix(name)) {
			return true
		}
	}
	for _, p := range allowPre {
		if !deniedByPrefix(p) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
