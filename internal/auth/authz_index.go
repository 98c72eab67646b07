package auth

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/metadata"
)

// aclIndex finds the ACLs that apply to a resource without scanning them
// all: per resource type, LITERAL ACLs by name (the wildcard under "*")
// and PREFIXED ones by prefix, so a lookup costs one map probe per prefix
// length of the name.
type aclIndex struct {
	source map[metadata.Uuid]metadata.ACL
	types  map[kmsg.ACLResourceType]*typeACLs
}

type typeACLs struct {
	literal  map[string][]metadata.ACL
	prefixed map[string][]metadata.ACL
	longest  int // longest prefix
}

func newACLIndex(acls map[metadata.Uuid]metadata.ACL) *aclIndex {
	ix := &aclIndex{source: acls, types: map[kmsg.ACLResourceType]*typeACLs{}}
	for _, acl := range acls {
		rt := kmsg.ACLResourceType(acl.ResourceType)
		t := ix.types[rt]
		if t == nil {
			t = &typeACLs{literal: map[string][]metadata.ACL{}, prefixed: map[string][]metadata.ACL{}}
			ix.types[rt] = t
		}
		switch kmsg.ACLResourcePatternType(acl.PatternType) {
		case kmsg.ACLResourcePatternTypeLiteral:
			t.literal[acl.ResourceName] = append(t.literal[acl.ResourceName], acl)
		case kmsg.ACLResourcePatternTypePrefixed:
			t.prefixed[acl.ResourceName] = append(t.prefixed[acl.ResourceName], acl)
			t.longest = max(t.longest, len(acl.ResourceName))
		}
	}
	return ix
}

// matching returns the ACLs whose pattern matches the resource.
func (ix *aclIndex) matching(rt kmsg.ACLResourceType, name string) []metadata.ACL {
	t := ix.types[rt]
	if t == nil {
		return nil
	}
	var out []metadata.ACL
	out = append(out, t.literal[name]...)
	if name != "*" {
		out = append(out, t.literal["*"]...)
	}
	for n := 1; n <= min(len(name), t.longest); n++ {
		out = append(out, t.prefixed[name[:n]]...)
	}
	return out
}

// ofType returns every ACL of a resource type.
func (ix *aclIndex) ofType(rt kmsg.ACLResourceType) []metadata.ACL {
	t := ix.types[rt]
	if t == nil {
		return nil
	}
	var out []metadata.ACL
	for _, acls := range t.literal {
		out = append(out, acls...)
	}
	for _, acls := range t.prefixed {
		out = append(out, acls...)
	}
	return out
}
