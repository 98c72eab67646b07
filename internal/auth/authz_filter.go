package auth

import (
	"errors"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/metadata"
)

// Filter selects ACLs for DescribeAcls and DeleteAcls (Kafka's
// AclBindingFilter). ANY matches every value; a nil name, principal or
// host matches any. Pattern type MATCH selects the ACLs that would apply
// to Name: LITERAL with the name, the LITERAL wildcard, and PREFIXED ones
// the name starts with.
type Filter struct {
	ResourceType kmsg.ACLResourceType
	Name         *string
	PatternType  kmsg.ACLResourcePatternType
	Principal    *string
	Host         *string
	Operation    kmsg.ACLOperation
	Permission   kmsg.ACLPermissionType
}

// Matches reports whether acl is selected by f.
func (f Filter) Matches(acl metadata.ACL) bool {
	if f.ResourceType != kmsg.ACLResourceTypeAny && kmsg.ACLResourceType(acl.ResourceType) != f.ResourceType {
		return false
	}
	pt := kmsg.ACLResourcePatternType(acl.PatternType)
	switch f.PatternType {
	case kmsg.ACLResourcePatternTypeAny:
		if f.Name != nil && acl.ResourceName != *f.Name {
			return false
		}
	case kmsg.ACLResourcePatternTypeMatch:
		if f.Name != nil && !patternApplies(pt, acl.ResourceName, *f.Name) {
			return false
		}
	default:
		if pt != f.PatternType || (f.Name != nil && acl.ResourceName != *f.Name) {
			return false
		}
	}
	return (f.Principal == nil || *f.Principal == acl.Principal) &&
		(f.Host == nil || *f.Host == acl.Host) &&
		(f.Operation == kmsg.ACLOperationAny || kmsg.ACLOperation(acl.Operation) == f.Operation) &&
		(f.Permission == kmsg.ACLPermissionTypeAny || kmsg.ACLPermissionType(acl.PermissionType) == f.Permission)
}

func patternApplies(pt kmsg.ACLResourcePatternType, pattern, name string) bool {
	switch pt {
	case kmsg.ACLResourcePatternTypeLiteral:
		return pattern == name || pattern == "*"
	case kmsg.ACLResourcePatternTypePrefixed:
		return strings.HasPrefix(name, pattern)
	}
	return false
}

// ValidateFilter refuses the filters Kafka refuses: UNKNOWN values.
func ValidateFilter(f Filter) error {
	switch {
	case f.ResourceType == kmsg.ACLResourceTypeUnknown:
		return errors.New("Invalid resource type UNKNOWN in the ACL filter")
	case f.PatternType == kmsg.ACLResourcePatternTypeUnknown:
		return errors.New("Invalid pattern type UNKNOWN in the ACL filter")
	case f.Operation == kmsg.ACLOperationUnknown:
		return errors.New("Invalid operation UNKNOWN in the ACL filter")
	case f.Permission == kmsg.ACLPermissionTypeUnknown:
		return errors.New("Invalid permission type UNKNOWN in the ACL filter")
	}
	return nil
}

// ValidateACL refuses what Kafka's AclControlManager refuses in CreateAcls
// (INVALID_REQUEST with these messages).
func ValidateACL(acl metadata.ACL) error {
	rt := kmsg.ACLResourceType(acl.ResourceType)
	switch rt {
	case kmsg.ACLResourceTypeTopic, kmsg.ACLResourceTypeGroup, kmsg.ACLResourceTypeCluster,
		kmsg.ACLResourceTypeTransactionalId, kmsg.ACLResourceTypeDelegationToken, kmsg.ACLResourceTypeUser:
	default:
		return fmt.Errorf("Invalid resource type %d", acl.ResourceType)
	}
	switch kmsg.ACLResourcePatternType(acl.PatternType) {
	case kmsg.ACLResourcePatternTypeLiteral, kmsg.ACLResourcePatternTypePrefixed:
	default:
		return fmt.Errorf("Invalid pattern type %d", acl.PatternType)
	}
	switch op := kmsg.ACLOperation(acl.Operation); op {
	case kmsg.ACLOperationUnknown, kmsg.ACLOperationAny:
		return fmt.Errorf("Invalid operation %d", acl.Operation)
	default:
		if op > kmsg.ACLOperationDescribeTokens {
			return fmt.Errorf("Invalid operation %d", acl.Operation)
		}
	}
	switch kmsg.ACLPermissionType(acl.PermissionType) {
	case kmsg.ACLPermissionTypeAllow, kmsg.ACLPermissionTypeDeny:
	default:
		return fmt.Errorf("Invalid permission type %d", acl.PermissionType)
	}
	switch {
	case acl.ResourceName == "":
		return errors.New("Resource name should not be empty")
	case rt == kmsg.ACLResourceTypeCluster && acl.ResourceName != "kafka-cluster":
		return errors.New("The only valid name for the CLUSTER resource is kafka-cluster")
	case acl.Host == "":
		return errors.New("Host should not be empty")
	}
	if typ, name, ok := strings.Cut(acl.Principal, ":"); !ok || typ == "" || name == "" {
		return fmt.Errorf("Could not parse principal from `%s` (no colon is present separating the principal type from the principal name)", acl.Principal)
	}
	return nil
}

// Describe returns the ACLs f selects.
func (a *Authorizer) Describe(f Filter) []metadata.ACL {
	var out []metadata.ACL
	for _, acl := range a.index.Load().source {
		if f.Matches(acl) {
			out = append(out, acl)
		}
	}
	return out
}
