package api

import (
	"context"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/controller"
	"github.com/strom-project/strom/internal/coordinator/group"
	"github.com/strom-project/strom/internal/coordinator/txn"
	"github.com/strom-project/strom/internal/quota"
	"github.com/strom-project/strom/internal/replica"
	"github.com/strom-project/strom/internal/wire"
)

// Handlers carries what request handlers need. Build one per broker.
type Handlers struct {
	NodeID   int32
	Config   *config.Broker
	Ctrl     *controller.Controller
	Replicas *replica.Manager
	// Groups is the consumer-group coordinator; nil leaves the group APIs
	// unregistered (clients then see no consumer-group support).
	Groups *group.Coordinator
	// Txn is the transaction coordinator; nil leaves the transaction APIs
	// unregistered.
	Txn *txn.Coordinator
	// NextProducerID hands out one producer id (from controller blocks).
	NextProducerID func(ctx context.Context) (int64, error)
	// ToController sends a request to the active controller (in process
	// when that is this node); nil serves everything locally.
	ToController func(ctx context.Context, req kmsg.Request) (kmsg.Response, error)
	Logger       *slog.Logger
	Now          func() time.Time
	// Traffic, if set, counts produced and fetched bytes per topic.
	Traffic Traffic
	// Quotas enforces client quotas; Register makes one from Config and
	// Now when it is nil.
	Quotas *quota.Manager
	// OnThrottle, if set, hears of every client-quota throttle (metrics).
	OnThrottle func(kind string, d time.Duration)
	// VerifyTxnPartition, if set, is asked before a transactional batch is
	// appended whether its partition is in the producer's transaction
	// (KIP-890 verification; the transaction coordinator supplies it);
	// with add (transaction version 2) the partition joins the
	// transaction instead. A non-nil error (a kerr error) fails the
	// partition.
	VerifyTxnPartition func(ctx context.Context, transactionalID string, producerID int64, epoch int16, topic string, partition int32, add bool) error
	// OnTxnMarker, if set, hears of every transaction marker written and
	// committed here (the group coordinator completes pending
	// TxnOffsetCommits on __consumer_offsets markers).
	OnTxnMarker func(topic string, partition int32, producerID int64, epoch int16, commit bool)
	// Authorizer checks every request against the ACLs (authz.go); nil
	// turns authorization off.
	Authorizer Authorizer

	sessions *fetchSessions
}

// Register adds every served API to reg.
func Register(reg *wire.Registry, h *Handlers) {
	if h.Now == nil {
		h.Now = time.Now
	}
	if h.Authorizer == nil && authorizerForTest != nil {
		// Only when a test set one: Register runs while the CONTROLLER
		// listener already serves these Handlers, so it must not write.
		h.Authorizer = authorizerForTest
	}
	h.sessions = newFetchSessions(1000, h.Now)
	if h.Quotas == nil {
		qc := quota.Config{
			Samples: int(h.Config.Int("quota.window.num")),
			Window:  time.Duration(h.Config.Int("quota.window.size.seconds")) * time.Second,
			Now:     h.Now,
		}
		if on := h.OnThrottle; on != nil {
			qc.OnThrottle = func(k quota.Kind, d time.Duration) { on(k.String(), d) }
		}
		h.Quotas = quota.NewManager(qc)
	}
	register := func(a wire.API) {
		// Client listeners only: the CONTROLLER listener's inter-broker
		// requests are exempt, as Kafka's cluster actions are.
		a.Handle = h.Quotas.Wrap(a.Key, h.clientQuotas, a.Handle)
		reg.Register(a)
	}
	for _, a := range []wire.API{
		h.produceAPI(),
		h.fetchAPI(),
		h.listOffsetsAPI(),
		h.deleteRecordsAPI(),
		h.metadataAPI(),
		h.apiVersionsAPI(reg),
		h.createTopicsAPI(),
		h.deleteTopicsAPI(),
		h.initProducerIDAPI(),
		h.writeTxnMarkersAPI(),
		h.offsetForLeaderEpochAPI(),
		h.describeConfigsAPI(),
		h.alterConfigsAPI(),
		h.incrementalAlterConfigsAPI(),
		h.createPartitionsAPI(),
		h.describeClusterAPI(),
		h.describeTopicPartitionsAPI(),
		h.describeQuorumAPI(),
		h.alterPartitionReassignmentsAPI(),
		h.listPartitionReassignmentsAPI(),
		h.electLeadersAPI(),
		h.describeLogDirsAPI(),
		h.unregisterBrokerAPI(),
		h.describeClientQuotasAPI(),
		h.alterClientQuotasAPI(),
		h.saslHandshakeAPI(),
		h.saslAuthenticateAPI(),
		h.describeUserScramCredentialsAPI(),
		h.alterUserScramCredentialsAPI(),
		h.describeAclsAPI(),
		h.createAclsAPI(),
		h.deleteAclsAPI(),
	} {
		register(a)
	}
	if h.Groups != nil {
		for _, a := range []wire.API{
			h.offsetCommitAPI(),
			h.offsetFetchAPI(),
			h.findCoordinatorAPI(),
			h.joinGroupAPI(),
			h.heartbeatAPI(),
			h.leaveGroupAPI(),
			h.syncGroupAPI(),
			h.describeGroupsAPI(),
			h.listGroupsAPI(),
			h.deleteGroupsAPI(),
			h.offsetDeleteAPI(),
		} {
			register(a)
		}
	}
	if h.Txn != nil && h.Groups != nil {
		for _, a := range []wire.API{
			h.addPartitionsToTxnAPI(),
			h.addOffsetsToTxnAPI(),
			h.endTxnAPI(),
			h.txnOffsetCommitAPI(),
			h.describeTransactionsAPI(),
			h.listTransactionsAPI(),
			h.describeProducersAPI(),
		} {
			register(a)
		}
	}
}

// RegisterController adds the APIs the CONTROLLER listener serves: the
// broker-to-controller requests and the forwarded admin requests.
func RegisterController(reg *wire.Registry, h *Handlers) {
	if h.Now == nil {
		h.Now = time.Now
	}
	if h.Authorizer == nil && authorizerForTest != nil {
		// Only when a test set one: Register runs while the CONTROLLER
		// listener already serves these Handlers, so it must not write.
		h.Authorizer = authorizerForTest
	}
	for _, a := range []wire.API{
		h.apiVersionsAPI(reg),
		h.createTopicsAPI(),
		h.deleteTopicsAPI(),
		h.createPartitionsAPI(),
		h.alterConfigsAPI(),
		h.incrementalAlterConfigsAPI(),
		h.alterPartitionAPI(),
		h.brokerRegistrationAPI(),
		h.brokerHeartbeatAPI(),
		h.allocateProducerIDsAPI(),
		h.describeQuorumAPI(),
		h.alterPartitionReassignmentsAPI(),
		h.listPartitionReassignmentsAPI(),
		h.electLeadersAPI(),
		h.unregisterBrokerAPI(),
		h.alterClientQuotasAPI(),
		h.alterUserScramCredentialsAPI(),
		h.createAclsAPI(),
		h.deleteAclsAPI(),
	} {
		reg.Register(a)
	}
}

// clientQuotas is the current image's client quotas (none without a
// controller: some tests serve Produce and Fetch alone).
func (h *Handlers) clientQuotas() quota.Quotas {
	if h.Ctrl == nil {
		return nil
	}
	if im := h.Ctrl.Image(); im != nil {
		return im.ClientQuotas
	}
	return nil
}

// typed adapts a handler of a concrete request type to wire.Handler.
func typed[Req kmsg.Request](f func(ctx context.Context, c *wire.Conn, req Req) (kmsg.Response, error)) wire.Handler {
	return func(ctx context.Context, c *wire.Conn, _ wire.Header, req kmsg.Request) (kmsg.Response, error) {
		return f(ctx, c, req.(Req))
	}
}

// errMsg returns the client-facing message of err, or nil: Kafka's own
// wording where the controller has one, without our package prefixes.
func errMsg(err error) *string {
	if err == nil {
		return nil
	}
	s := controller.ErrorMessage(err)
	return &s
}
