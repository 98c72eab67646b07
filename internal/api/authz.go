package api

// Authorization (Kafka ACLs). Every handler asks the checks Kafka's broker
// asks (KafkaApis, ControllerApis, AuthHelper) before it changes or
// discloses anything, and answers a denial with Kafka's error for the
// resource type: TOPIC_AUTHORIZATION_FAILED (29), GROUP_AUTHORIZATION_FAILED
// (30), CLUSTER_AUTHORIZATION_FAILED (31),
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED (53).
//
// Who is trusted without asking: requests the broker makes of its own
// handlers in process (the active controller serving its own broker,
// transaction markers for partitions it leads) never cross a listener, so
// they carry InProcessConn's connection, whose address no network
// connection can have. Everything arriving on a socket, the CONTROLLER
// listener included, is checked against its principal: forwarded admin
// requests are checked on the broker that received them (with the
// client's principal) and again on the controller (with the forwarding
// broker's), so brokers' principals need the grants Kafka gives them
// (super.users, or CLUSTER_ACTION and the admin operations).

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/wire"
)

// Authorizer decides whether the connection's principal may perform op
// on a resource. Handlers.Authorizer nil means authorization is off:
// everything is allowed.
type Authorizer interface {
	Authorize(c *wire.Conn, op kmsg.ACLOperation, rt kmsg.ACLResourceType, name string) bool
	// AuthorizeAny is Kafka's authorizeByResourceType (KIP-679): may the
	// principal perform op on at least one resource of the type.
	AuthorizeAny(c *wire.Conn, op kmsg.ACLOperation, rt kmsg.ACLResourceType) bool
}

// authorizerForTest, set only by this package's tests (export_test.go)
// before a broker starts, is the Authorizer of every Handlers registered
// without one, so that testcluster's in-process brokers enforce a test's
// ACLs before the broker wires a real authorizer.
var authorizerForTest Authorizer

// ClusterName is the name of the one CLUSTER resource.
const ClusterName = "kafka-cluster"

// Shorthands for the operations and resource types the handlers check.
const (
	opRead            = kmsg.ACLOperationRead
	opWrite           = kmsg.ACLOperationWrite
	opCreate          = kmsg.ACLOperationCreate
	opDelete          = kmsg.ACLOperationDelete
	opAlter           = kmsg.ACLOperationAlter
	opDescribe        = kmsg.ACLOperationDescribe
	opClusterAction   = kmsg.ACLOperationClusterAction
	opDescribeConfigs = kmsg.ACLOperationDescribeConfigs
	opAlterConfigs    = kmsg.ACLOperationAlterConfigs
	opIdempotentWrite = kmsg.ACLOperationIdempotentWrite

	rtTopic   = kmsg.ACLResourceTypeTopic
	rtGroup   = kmsg.ACLResourceTypeGroup
	rtCluster = kmsg.ACLResourceTypeCluster
	rtTxnID   = kmsg.ACLResourceTypeTransactionalId
)

// The denial codes, one per resource type (Kafka's
// AclEntry.authorizationError).
var (
	errTopicAuthz   = kerr.TopicAuthorizationFailed.Code
	errGroupAuthz   = kerr.GroupAuthorizationFailed.Code
	errClusterAuthz = kerr.ClusterAuthorizationFailed.Code
	errTxnIDAuthz   = kerr.TransactionalIDAuthorizationFailed.Code

	errClusterDenied error = kerr.ClusterAuthorizationFailed
)

// InProcessConn is the connection of a request the broker makes of its
// own handlers: it passes every authorization check.
func InProcessConn(listener string) *wire.Conn {
	return &wire.Conn{Listener: listener, RemoteAddr: inProcessAddr{}, Principal: "User:ANONYMOUS"}
}

type inProcessAddr struct{}

func (inProcessAddr) Network() string { return "in-process" }
func (inProcessAddr) String() string  { return "in-process" }

// trusted: authorization is off, or the request never crossed a listener.
func (h *Handlers) trusted(c *wire.Conn) bool {
	if h.Authorizer == nil {
		return true
	}
	_, ok := c.RemoteAddr.(inProcessAddr)
	return ok
}

// allowed reports whether c may perform op on the named resource.
func (h *Handlers) allowed(c *wire.Conn, op kmsg.ACLOperation, rt kmsg.ACLResourceType, name string) bool {
	return h.trusted(c) || h.Authorizer.Authorize(c, op, rt, name)
}

// allowedCluster reports whether c may perform op on the cluster.
func (h *Handlers) allowedCluster(c *wire.Conn, op kmsg.ACLOperation) bool {
	return h.allowed(c, op, rtCluster, ClusterName)
}

// allowedAny reports whether c may perform op on some resource of type rt
// (Kafka's authorizeByResourceType).
func (h *Handlers) allowedAny(c *wire.Conn, op kmsg.ACLOperation, rt kmsg.ACLResourceType) bool {
	return h.trusted(c) || h.Authorizer.AuthorizeAny(c, op, rt)
}

// allowedNames memoizes op checks on resources of type rt for one request
// (Kafka's filterByAuthorized asks once per distinct name). Not safe for
// concurrent use.
func (h *Handlers) allowedNames(c *wire.Conn, op kmsg.ACLOperation, rt kmsg.ACLResourceType) func(name string) bool {
	if h.trusted(c) {
		return func(string) bool { return true }
	}
	seen := map[string]bool{}
	return func(name string) bool {
		ok, done := seen[name]
		if !done {
			ok = h.Authorizer.Authorize(c, op, rt, name)
			seen[name] = ok
		}
		return ok
	}
}

// supportedOps lists the operations a resource type's authorized
// operations bit field reports (Kafka's AclEntry.supportedOperations).
var supportedOps = map[kmsg.ACLResourceType][]kmsg.ACLOperation{
	rtTopic:   {opRead, opWrite, opCreate, opDescribe, opDelete, opAlter, opDescribeConfigs, opAlterConfigs},
	rtGroup:   {opRead, opDescribe, opDelete, opDescribeConfigs, opAlterConfigs},
	rtCluster: {opCreate, opClusterAction, opDescribeConfigs, opAlterConfigs, opIdempotentWrite, opAlter, opDescribe},
	rtTxnID:   {opDescribe, opWrite},
}

// authorizedOps is the KIP-430 bit field of the operations c may perform
// on a resource: bit n set when operation code n is allowed.
func (h *Handlers) authorizedOps(c *wire.Conn, rt kmsg.ACLResourceType, name string) int32 {
	var bits int32
	for _, op := range supportedOps[rt] {
		if h.allowed(c, op, rt, name) {
			bits |= 1 << uint(op)
		}
	}
	return bits
}

// clusterAuthorizedOps is the cluster's authorized operations field when
// the request asks for it: Kafka reports nothing (0) to a principal that
// may not DESCRIBE the cluster, and the schema default (MinInt32) when the
// field was not asked for.
func (h *Handlers) clusterAuthorizedOps(c *wire.Conn, include bool) int32 {
	switch {
	case !include:
		return -1 << 31
	case !h.allowedCluster(c, opDescribe):
		return 0
	}
	return h.authorizedOps(c, rtCluster, ClusterName)
}

// configDenied checks op (DESCRIBE_CONFIGS or ALTER_CONFIGS) on a config
// resource as Kafka's ConfigHelper and ControllerApis do, and returns the
// denial code, or 0: brokers, broker loggers and client-metrics
// subscriptions are the cluster's; topics and groups their own. Other
// types are left to the handler's own error.
func (h *Handlers) configDenied(c *wire.Conn, op kmsg.ACLOperation, typ kmsg.ConfigResourceType, name string) int16 {
	switch typ {
	case kmsg.ConfigResourceTypeBroker, kmsg.ConfigResourceTypeBrokerLogger, kmsg.ConfigResourceTypeClientMetrics:
		if !h.allowedCluster(c, op) {
			return errClusterAuthz
		}
	case kmsg.ConfigResourceTypeTopic:
		if !h.allowed(c, op, rtTopic, name) {
			return errTopicAuthz
		}
	case kmsg.ConfigResourceTypeGroupConfig:
		if !h.allowed(c, op, rtGroup, name) {
			return errGroupAuthz
		}
	}
	return 0
}
