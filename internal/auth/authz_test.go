package auth

import (
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/metadata"
)

const (
	topic   = kmsg.ACLResourceTypeTopic
	group   = kmsg.ACLResourceTypeGroup
	cluster = kmsg.ACLResourceTypeCluster
	txnID   = kmsg.ACLResourceTypeTransactionalId

	literal  = kmsg.ACLResourcePatternTypeLiteral
	prefixed = kmsg.ACLResourcePatternTypePrefixed

	allow = kmsg.ACLPermissionTypeAllow
	deny  = kmsg.ACLPermissionTypeDeny

	opAll      = kmsg.ACLOperationAll
	opRead     = kmsg.ACLOperationRead
	opWrite    = kmsg.ACLOperationWrite
	opCreate   = kmsg.ACLOperationCreate
	opDelete   = kmsg.ACLOperationDelete
	opAlter    = kmsg.ACLOperationAlter
	opDescribe = kmsg.ACLOperationDescribe
	opDescCfg  = kmsg.ACLOperationDescribeConfigs
	opAlterCfg = kmsg.ACLOperationAlterConfigs
	opIdemp    = kmsg.ACLOperationIdempotentWrite
)

func acl(rt kmsg.ACLResourceType, name string, pt kmsg.ACLResourcePatternType, principal, host string,
	op kmsg.ACLOperation, perm kmsg.ACLPermissionType) metadata.ACL {
	return metadata.ACL{ResourceType: int8(rt), ResourceName: name, PatternType: int8(pt), Principal: principal,
		Host: host, Operation: int8(op), PermissionType: int8(perm)}
}

func authorizer(cfg AuthorizerConfig, acls ...metadata.ACL) *Authorizer {
	a := NewAuthorizer(cfg)
	m := map[metadata.Uuid]metadata.ACL{}
	for i, x := range acls {
		m[metadata.Uuid{byte(i + 1), byte((i + 1) >> 8)}] = x
	}
	a.Apply(m)
	return a
}

// TestAuthorizerRules is a table of Kafka's StandardAuthorizer rules.
func TestAuthorizerRules(t *testing.T) {
	alice, bob := "User:alice", "User:bob"
	h1 := "10.0.0.1"
	type check struct {
		principal, host string
		op              kmsg.ACLOperation
		rt              kmsg.ACLResourceType
		name            string
		want            bool
	}
	for _, tc := range []struct {
		name   string
		cfg    AuthorizerConfig
		acls   []metadata.ACL
		checks []check
	}{
		{"no ACLs: denied by default", AuthorizerConfig{}, nil, []check{
			{alice, h1, opRead, topic, "t", false},
			{alice, h1, opDescribe, cluster, "kafka-cluster", false},
		}},
		{"no ACLs: allow.everyone.if.no.acl.found", AuthorizerConfig{AllowEveryoneIfNoACL: true}, nil, []check{
			{alice, h1, opRead, topic, "t", true},
			{alice, h1, opWrite, group, "g", true},
		}},
		{"allow.everyone applies only to resources no ACL names", AuthorizerConfig{AllowEveryoneIfNoACL: true},
			[]metadata.ACL{acl(topic, "t", literal, bob, "*", opRead, allow)}, []check{
				{alice, h1, opRead, topic, "t", false},
				{bob, h1, opRead, topic, "t", true},
				{alice, h1, opRead, topic, "other", true},
			}},
		{"super users bypass, even a DENY", AuthorizerConfig{SuperUsers: []string{"User:admin"}},
			[]metadata.ACL{acl(topic, "*", literal, "User:*", "*", opAll, deny)}, []check{
				{"User:admin", h1, opWrite, topic, "t", true},
				{"User:admin", h1, opAlter, cluster, "kafka-cluster", true},
				{alice, h1, opWrite, topic, "t", false},
			}},
		{"literal allow", AuthorizerConfig{}, []metadata.ACL{acl(topic, "t", literal, alice, "*", opRead, allow)}, []check{
			{alice, h1, opRead, topic, "t", true},
			{alice, h1, opWrite, topic, "t", false},
			{alice, h1, opRead, topic, "t2", false},
			{bob, h1, opRead, topic, "t", false},
			{alice, h1, opRead, group, "t", false},
		}},
		{"DENY wins over ALLOW", AuthorizerConfig{}, []metadata.ACL{
			acl(topic, "t", literal, alice, "*", opAll, allow),
			acl(topic, "t", literal, alice, "*", opWrite, deny)}, []check{
			{alice, h1, opWrite, topic, "t", false},
			{alice, h1, opRead, topic, "t", true},
		}},
		{"DENY on a prefix wins over a literal ALLOW", AuthorizerConfig{}, []metadata.ACL{
			acl(topic, "secret-x", literal, alice, "*", opRead, allow),
			acl(topic, "secret-", prefixed, "User:*", "*", opRead, deny)}, []check{
			{alice, h1, opRead, topic, "secret-x", false},
		}},
		{"wildcard resource", AuthorizerConfig{}, []metadata.ACL{acl(topic, "*", literal, alice, "*", opRead, allow)}, []check{
			{alice, h1, opRead, topic, "anything", true},
			{alice, h1, opRead, group, "anything", false},
		}},
		{"wildcard principal and host", AuthorizerConfig{}, []metadata.ACL{acl(group, "g", literal, "User:*", "*", opRead, allow)}, []check{
			{alice, h1, opRead, group, "g", true},
			{bob, "192.168.1.1", opRead, group, "g", true},
		}},
		{"host must match", AuthorizerConfig{}, []metadata.ACL{acl(topic, "t", literal, alice, h1, opRead, allow)}, []check{
			{alice, h1, opRead, topic, "t", true},
			{alice, "10.0.0.2", opRead, topic, "t", false},
		}},
		{"DENY from one host", AuthorizerConfig{}, []metadata.ACL{
			acl(topic, "t", literal, alice, "*", opRead, allow),
			acl(topic, "t", literal, alice, "10.0.0.9", opRead, deny)}, []check{
			{alice, h1, opRead, topic, "t", true},
			{alice, "10.0.0.9", opRead, topic, "t", false},
		}},
		{"prefixed", AuthorizerConfig{}, []metadata.ACL{acl(topic, "orders-", prefixed, alice, "*", opWrite, allow)}, []check{
			{alice, h1, opWrite, topic, "orders-eu", true},
			{alice, h1, opWrite, topic, "orders-", true},
			{alice, h1, opWrite, topic, "orders", false},
			{alice, h1, opWrite, topic, "xorders-eu", false},
		}},
		{"longer and shorter prefixes both apply", AuthorizerConfig{}, []metadata.ACL{
			acl(topic, "a", prefixed, alice, "*", opRead, allow),
			acl(topic, "ab", prefixed, alice, "*", opWrite, allow),
			acl(topic, "abc", prefixed, alice, "*", opDelete, deny)}, []check{
			{alice, h1, opRead, topic, "abcd", true},
			{alice, h1, opWrite, topic, "abcd", true},
			{alice, h1, opDelete, topic, "abcd", false},
			{alice, h1, opWrite, topic, "ax", false},
		}},
		{"READ, WRITE, DELETE, ALTER imply DESCRIBE", AuthorizerConfig{}, []metadata.ACL{
			acl(topic, "r", literal, alice, "*", opRead, allow),
			acl(topic, "w", literal, alice, "*", opWrite, allow),
			acl(topic, "d", literal, alice, "*", opDelete, allow),
			acl(topic, "a", literal, alice, "*", opAlter, allow),
			acl(topic, "c", literal, alice, "*", opCreate, allow)}, []check{
			{alice, h1, opDescribe, topic, "r", true},
			{alice, h1, opDescribe, topic, "w", true},
			{alice, h1, opDescribe, topic, "d", true},
			{alice, h1, opDescribe, topic, "a", true},
			{alice, h1, opDescribe, topic, "c", false},
			{alice, h1, opRead, topic, "w", false},
		}},
		{"ALTER_CONFIGS implies DESCRIBE_CONFIGS, not the reverse", AuthorizerConfig{}, []metadata.ACL{
			acl(topic, "t", literal, alice, "*", opAlterCfg, allow),
			acl(topic, "u", literal, alice, "*", opDescCfg, allow)}, []check{
			{alice, h1, opDescCfg, topic, "t", true},
			{alice, h1, opAlterCfg, topic, "u", false},
		}},
		{"a DENY of READ does not deny the DESCRIBE it would imply", AuthorizerConfig{}, []metadata.ACL{
			acl(topic, "t", literal, alice, "*", opDescribe, allow),
			acl(topic, "t", literal, alice, "*", opRead, deny)}, []check{
			{alice, h1, opDescribe, topic, "t", true},
			{alice, h1, opRead, topic, "t", false},
		}},
		{"DENY ALL denies everything", AuthorizerConfig{}, []metadata.ACL{
			acl(topic, "t", literal, alice, "*", opRead, allow),
			acl(topic, "t", literal, alice, "*", opAll, deny)}, []check{
			{alice, h1, opRead, topic, "t", false},
			{alice, h1, opDescribe, topic, "t", false},
		}},
		{"cluster and transactional id", AuthorizerConfig{}, []metadata.ACL{
			acl(cluster, "kafka-cluster", literal, alice, "*", opIdemp, allow),
			acl(txnID, "app-", prefixed, alice, "*", opWrite, allow)}, []check{
			{alice, h1, opIdemp, cluster, "kafka-cluster", true},
			{alice, h1, opWrite, txnID, "app-1", true},
			{alice, h1, opDescribe, txnID, "app-1", true},
			{alice, h1, opWrite, txnID, "other", false},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := authorizer(tc.cfg, tc.acls...)
			for _, c := range tc.checks {
				if got := a.Authorize(c.principal, c.host, c.op, c.rt, c.name); got != c.want {
					t.Errorf("%s from %s: %v on %v %q = %v, want %v", c.principal, c.host, c.op, c.rt, c.name, got, c.want)
				}
			}
		})
	}
}

// TestAuthorizeAny is authorizeByResourceType (KIP-679).
func TestAuthorizeAny(t *testing.T) {
	alice := "User:alice"
	for _, tc := range []struct {
		name string
		cfg  AuthorizerConfig
		acls []metadata.ACL
		want bool
	}{
		{"nothing", AuthorizerConfig{}, nil, false},
		{"allow.everyone with no ACLs", AuthorizerConfig{AllowEveryoneIfNoACL: true}, nil, true},
		{"super user", AuthorizerConfig{SuperUsers: []string{alice}}, nil, true},
		{"one literal allow", AuthorizerConfig{}, []metadata.ACL{acl(topic, "t", literal, alice, "*", opWrite, allow)}, true},
		{"literal allow denied by the same literal", AuthorizerConfig{}, []metadata.ACL{
			acl(topic, "t", literal, alice, "*", opWrite, allow), acl(topic, "t", literal, alice, "*", opWrite, deny)}, false},
		{"literal allow under a deny prefix", AuthorizerConfig{}, []metadata.ACL{
			acl(topic, "abc", literal, alice, "*", opWrite, allow), acl(topic, "a", prefixed, alice, "*", opWrite, deny)}, false},
		{"prefix allow, narrower deny prefix", AuthorizerConfig{}, []metadata.ACL{
			acl(topic, "a", prefixed, alice, "*", opWrite, allow), acl(topic, "ab", prefixed, alice, "*", opWrite, deny)}, true},
		{"prefix allow, wider deny prefix", AuthorizerConfig{}, []metadata.ACL{
			acl(topic, "ab", prefixed, alice, "*", opWrite, allow), acl(topic, "a", prefixed, alice, "*", opWrite, deny)}, false},
		{"wildcard deny", AuthorizerConfig{}, []metadata.ACL{
			acl(topic, "t", literal, alice, "*", opWrite, allow), acl(topic, "*", literal, "User:*", "*", opWrite, deny)}, false},
		{"wildcard allow", AuthorizerConfig{}, []metadata.ACL{acl(topic, "*", literal, alice, "*", opAll, allow)}, true},
		{"other operation", AuthorizerConfig{}, []metadata.ACL{acl(topic, "t", literal, alice, "*", opRead, allow)}, false},
		{"other principal", AuthorizerConfig{}, []metadata.ACL{acl(topic, "t", literal, "User:bob", "*", opWrite, allow)}, false},
	} {
		a := authorizer(tc.cfg, tc.acls...)
		if got := a.AuthorizeAny(alice, "h", opWrite, topic); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestFilterAndValidate(t *testing.T) {
	name := func(s string) *string { return &s }
	lit := acl(topic, "orders", literal, "User:alice", "*", opRead, allow)
	pre := acl(topic, "ord", prefixed, "User:bob", "*", opWrite, deny)
	wild := acl(topic, "*", literal, "User:carol", "*", opRead, allow)
	a := authorizer(AuthorizerConfig{}, lit, pre, wild, acl(group, "orders", literal, "User:alice", "*", opRead, allow))
	count := func(f Filter) int { return len(a.Describe(f)) }
	anyF := Filter{ResourceType: kmsg.ACLResourceTypeAny, PatternType: kmsg.ACLResourcePatternTypeAny,
		Operation: kmsg.ACLOperationAny, Permission: kmsg.ACLPermissionTypeAny}
	for _, tc := range []struct {
		name string
		f    func(Filter) Filter
		want int
	}{
		{"any", func(f Filter) Filter { return f }, 4},
		{"topics", func(f Filter) Filter { f.ResourceType = topic; return f }, 3},
		{"MATCH orders-eu", func(f Filter) Filter {
			f.ResourceType, f.PatternType, f.Name = topic, kmsg.ACLResourcePatternTypeMatch, name("orders-eu")
			return f
		}, 2},
		{"LITERAL orders", func(f Filter) Filter { f.PatternType, f.Name = literal, name("orders"); return f }, 2},
		{"ANY pattern named ord", func(f Filter) Filter { f.Name = name("ord"); return f }, 1},
		{"principal", func(f Filter) Filter { f.Principal = name("User:alice"); return f }, 2},
		{"deny", func(f Filter) Filter { f.Permission = deny; return f }, 1},
		{"operation", func(f Filter) Filter { f.Operation = opWrite; return f }, 1},
	} {
		if got := count(tc.f(anyF)); got != tc.want {
			t.Errorf("%s: %d ACLs, want %d", tc.name, got, tc.want)
		}
	}
	for i, bad := range []metadata.ACL{
		acl(kmsg.ACLResourceTypeAny, "t", literal, "User:a", "*", opRead, allow),
		acl(topic, "t", kmsg.ACLResourcePatternTypeMatch, "User:a", "*", opRead, allow),
		acl(topic, "t", literal, "User:a", "*", kmsg.ACLOperationAny, allow),
		acl(topic, "t", literal, "User:a", "*", opRead, kmsg.ACLPermissionTypeAny),
		acl(topic, "", literal, "User:a", "*", opRead, allow),
		acl(cluster, "other", literal, "User:a", "*", opAlter, allow),
		acl(topic, "t", literal, "alice", "*", opRead, allow),
		acl(topic, "t", literal, "User:a", "", opRead, allow),
	} {
		if ValidateACL(bad) == nil {
			t.Errorf("invalid ACL %d accepted: %+v", i, bad)
		}
	}
	if err := ValidateACL(lit); err != nil {
		t.Errorf("valid ACL refused: %v", err)
	}
}

func BenchmarkAuthorize(b *testing.B) {
	var acls []metadata.ACL
	for i := range 10000 {
		pt := literal
		if i%2 == 0 {
			pt = prefixed
		}
		acls = append(acls, acl(topic, fmt.Sprintf("topic-%d-", i), pt, fmt.Sprintf("User:u%d", i%100), "*", opRead, allow))
	}
	a := authorizer(AuthorizerConfig{}, acls...)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		a.Authorize("User:u42", "10.0.0.1", opRead, topic, "topic-4242-eu")
	}
}
