package auth

import (
	"strings"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/metadata"
)

// Authorizer is Kafka's StandardAuthorizer over the ACLs of the metadata
// log: super users may do anything; otherwise a matching DENY wins, then a
// matching ALLOW (READ, WRITE, DELETE and ALTER imply DESCRIBE;
// ALTER_CONFIGS implies DESCRIBE_CONFIGS; ALL matches every operation);
// and a resource that no ACL names is allowed only with
// allow.everyone.if.no.acl.found. ACLs match a resource by LITERAL name,
// the LITERAL wildcard "*", or a PREFIXED name; a principal exactly or as
// User:*; a host exactly or as "*".
//
// Reads happen on every request and writes with metadata changes only, so
// the ACLs are an immutable index swapped atomically by Apply.
type Authorizer struct {
	superUsers           map[string]bool
	allowEveryoneIfNoACL bool
	index                atomic.Pointer[aclIndex]
}

// AuthorizerConfig is super.users and allow.everyone.if.no.acl.found.
type AuthorizerConfig struct {
	SuperUsers           []string
	AllowEveryoneIfNoACL bool
}

// ParseSuperUsers splits super.users ("User:a;User:b").
func ParseSuperUsers(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// NewAuthorizer returns an authorizer with no ACLs.
func NewAuthorizer(cfg AuthorizerConfig) *Authorizer {
	a := &Authorizer{superUsers: map[string]bool{}, allowEveryoneIfNoACL: cfg.AllowEveryoneIfNoACL}
	for _, u := range cfg.SuperUsers {
		a.superUsers[u] = true
	}
	a.index.Store(newACLIndex(nil))
	return a
}

// Apply replaces the ACLs (a metadata image's).
func (a *Authorizer) Apply(acls map[metadata.Uuid]metadata.ACL) {
	if cur := a.index.Load(); cur.source != nil && sameMap(cur.source, acls) {
		return // images share the map until an ACL changes
	}
	a.index.Store(newACLIndex(acls))
}

// Authorize decides one operation of principal (as "User:alice"),
// connecting from host, on a resource.
func (a *Authorizer) Authorize(principal, host string, op kmsg.ACLOperation, rt kmsg.ACLResourceType, name string) bool {
	if a.superUsers[principal] {
		return true
	}
	found, allowed := false, false
	for _, acl := range a.index.Load().matching(rt, name) {
		found = true
		if !principalMatches(acl.Principal, principal) || (acl.Host != host && acl.Host != "*") {
			continue
		}
		aop := kmsg.ACLOperation(acl.Operation)
		switch kmsg.ACLPermissionType(acl.PermissionType) {
		case kmsg.ACLPermissionTypeDeny:
			if aop == op || aop == kmsg.ACLOperationAll {
				return false
			}
		case kmsg.ACLPermissionTypeAllow:
			allowed = allowed || aop == op || aop == kmsg.ACLOperationAll || implies(aop, op)
		}
	}
	if !found {
		return a.allowEveryoneIfNoACL
	}
	return allowed
}

func principalMatches(aclPrincipal, principal string) bool {
	return aclPrincipal == principal || (aclPrincipal == "User:*" && strings.HasPrefix(principal, "User:"))
}

// implies: an ALLOW of have also allows want.
func implies(have, want kmsg.ACLOperation) bool {
	switch want {
	case kmsg.ACLOperationDescribe:
		switch have {
		case kmsg.ACLOperationRead, kmsg.ACLOperationWrite, kmsg.ACLOperationDelete, kmsg.ACLOperationAlter:
			return true
		}
	case kmsg.ACLOperationDescribeConfigs:
		return have == kmsg.ACLOperationAlterConfigs
	}
	return false
}

func sameMap(a, b map[metadata.Uuid]metadata.ACL) bool {
	if len(a) != len(b) {
		return false
	}
	for id, x := range a {
		if y, ok := b[id]; !ok || x != y {
			return false
		}
	}
	return true
}
