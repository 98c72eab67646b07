package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/api"
	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/controller"
	"github.com/strom-project/strom/internal/coordinator/group"
	"github.com/strom-project/strom/internal/coordinator/txn"
	"github.com/strom-project/strom/internal/ctrlclient"
	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/network"
	"github.com/strom-project/strom/internal/raft"
	"github.com/strom-project/strom/internal/replica"
	"github.com/strom-project/strom/internal/storage"
	"github.com/strom-project/strom/internal/wire"
)

// metadataDirName is where the metadata log lives inside metadata.log.dir,
// named as Kafka names it.
const metadataDirName = "__cluster_metadata-0"

// MetadataDir is where a node keeps its metadata log and meta.properties
// (what `strom storage format` prepares).
func MetadataDir(cfg *config.Broker) string {
	return filepath.Join(cfg.MetadataLogDir, metadataDirName)
}

// controlledShutdownTimeout bounds how long Close waits for the controller
// to move this broker's leaderships away.
const controlledShutdownTimeout = 30 * time.Second

// Broker is one running node with the roles of process.roles: a metadata
// quorum voter (controller), a broker, or both (combined mode, the
// default). A broker-only node follows the metadata log as an observer.
// Start and Close must not race.
type Broker struct {
	cfg    *config.Broker
	logger *slog.Logger

	logs       *storage.Manager
	transport  *raft.TCPTransport // nil for a one-voter quorum
	ctrl       *controller.Controller
	ctrlClient *ctrlclient.Client
	life       *lifecycle
	replicas   *replica.Manager
	groups     *group.Coordinator
	txns       *txn.Coordinator // txn.go
	markers    *markerWriter
	// interSec and ctrlSec: how this node dials the inter-broker and
	// CONTROLLER listeners of the others (security.go).
	interSec, ctrlSec wire.Security
	server            *network.Server
	addrs             map[string]net.Addr
	admin             *admin // metrics and probes (admin.go); nil when admin.listener is empty
}

// New validates the configuration and prepares directories; Start runs it.
func New(cfg *config.Broker, logger *slog.Logger) (*Broker, error) {
	if logger == nil {
		logger = slog.Default()
	}
	b := &Broker{cfg: cfg, logger: logger, addrs: map[string]net.Addr{}}
	if err := b.internalSecurity(); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	for _, d := range append(cfg.LogDirs, cfg.MetadataLogDir) {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("broker: %w", err)
		}
	}
	return b, nil
}

// Start joins the metadata quorum and, with the controller role, serves
// the CONTROLLER listener; with the broker role it then recovers the logs,
// opens the client listeners, registers with the active controller and
// returns once it has unfenced this broker, i.e. once clients can be
// served.
func (b *Broker) Start(ctx context.Context) error {
	began := time.Now()
	cfg := b.cfg
	if cfg.IsBroker() {
		logs, err := storage.NewManagerWithOptions(cfg.LogDirs, storage.ManagerOptions{
			Logger: b.logger, Now: time.Now,
			RetentionCheckInterval:          ms(cfg.RetentionCheckIntervalMs),
			HighWatermarkCheckpointInterval: ms(cfg.Int("replica.high.watermark.checkpoint.interval.ms")),
			MinFreeBytes:                    cfg.Int("log.dir.min.free.bytes"),
			Cleaner: storage.CleanerOptions{Disabled: !cfg.Bool("log.cleaner.enable"), Threads: int(cfg.Int("log.cleaner.threads")),
				Backoff: ms(cfg.Int("log.cleaner.backoff.ms")), DedupeBufferSize: cfg.Int("log.cleaner.dedupe.buffer.size"),
				IOBufferSize: int(cfg.Int("log.cleaner.io.buffer.size"))},
		})
		if err != nil {
			return fmt.Errorf("broker: storage: %w", err)
		}
		b.logs = logs
	}
	h, err := b.startQuorum()
	if err != nil {
		return b.fail(err)
	}
	if err := b.startAdmin(h); err != nil {
		return b.fail(fmt.Errorf("broker: %w", err))
	}
	defer b.adminServing() // state gauges and /ready go live once Start succeeded
	requests := &controllerRequests{ctrl: b.ctrl, client: b.ctrlClient, nodeID: cfg.NodeID, epoch: b.brokerEpoch}
	if cfg.IsBroker() {
		b.replicas = replica.NewManager(replica.Options{
			NodeID: cfg.NodeID, Config: cfg, Logs: b.logs, Logger: b.logger.With("component", "replica"),
			AlterPartition: requests.AlterPartition, Security: b.interSec,
		})
		b.ctrl.Subscribe(b.replicas.Apply)
		// After the replica manager: the coordinator loads the offsets
		// partitions it leads from the logs Apply just opened.
		b.groups = group.New(group.Options{
			NodeID: cfg.NodeID, Config: group.ConfigFrom(cfg), Metadata: requests, Replicas: b.replicas,
			ExpectedBrokers: expectedBrokers(cfg),
			Logger:          b.logger.With("component", "group-coordinator"),
		})
		b.ctrl.Subscribe(b.groups.Apply)
		b.txns = b.newTxnCoordinator(requests)
		b.ctrl.Subscribe(b.txns.Apply)
	}
	if err := b.ctrl.Start(ctx); err != nil {
		return b.fail(fmt.Errorf("broker: metadata: %w", err))
	}
	if !cfg.IsBroker() {
		b.logger.Info("ready", "node.id", cfg.NodeID, "process.roles", cfg.Roles, "cluster.id", b.ctrl.Image().ClusterID,
			"voters", cfg.VoterIDs(), "startup", time.Since(began).Round(time.Microsecond))
		return nil
	}
	endpoints, err := b.startBroker(ctx, h, requests)
	if err != nil {
		return b.fail(err)
	}
	b.logs.Start()
	b.logger.Info("ready", "node.id", cfg.NodeID, "process.roles", cfg.Roles, "cluster.id", b.ctrl.Image().ClusterID,
		"listeners", endpoints, "voters", cfg.VoterIDs(), "log.dirs", cfg.LogDirs, "startup", time.Since(began).Round(time.Microsecond))
	return nil
}

// startQuorum builds the metadata side: the raft transport (a voter's, or
// an observer's for a broker-only node), the controller, the network
// server, the CONTROLLER listener of a voter, and the client that reaches
// the active controller. The controller is not started yet, so that the
// broker's subsystems can subscribe to the replay first.
func (b *Broker) startQuorum() (*api.Handlers, error) {
	cfg := b.cfg
	voters := map[int32]string{}
	for _, v := range cfg.Voters {
		voters[v.ID] = v.Addr()
	}
	var transport raft.Transport
	switch {
	case !cfg.IsController():
		b.transport = raft.NewTCPTransport(cfg.NodeID, voters, b.logger.With("component", "raft-transport"),
			raft.TCPOptions{Observer: true, TLS: b.ctrlSec.TLS})
		transport = b.transport
	case len(voters) > 1:
		peers := maps.Clone(voters)
		delete(peers, cfg.NodeID)
		b.transport = raft.NewTCPTransport(cfg.NodeID, peers, b.logger.With("component", "raft-transport"),
			raft.TCPOptions{TLS: b.ctrlSec.TLS})
		transport = b.transport
	}
	autoRebalance := cfg.Bool("auto.leader.rebalance.enable")
	ctrl, err := controller.New(controller.Options{
		NodeID:                   cfg.NodeID,
		MetadataDir:              MetadataDir(cfg),
		Logger:                   b.logger,
		Now:                      time.Now,
		NumPartitions:            cfg.NumPartitions,
		DefaultReplicationFactor: cfg.DefaultReplicationFactor,
		ValidateTopicConfig:      config.ValidateTopicConfig,
		ValidateTopicConfigSet:   config.ValidateTopicConfigSet,
		TopicConfig: func(im *metadata.Image, topic, name string) string {
			// Kafka's controller resolves topic configs through its own
			// node's dynamic configs, then the cluster default.
			dyn := cfg.Dynamic(im.Configs[metadata.ConfigResource{Type: metadata.BrokerResource, Name: metadata.BrokerConfigName(cfg.NodeID)}],
				im.Configs[metadata.ConfigResource{Type: metadata.BrokerResource}])
			v, _, _ := dyn.TopicValue(name, im.Configs[metadata.ConfigResource{Type: metadata.TopicResource, Name: topic}])
			return v
		},
		Voters:                       cfg.VoterIDs(),
		Transport:                    transport,
		TickInterval:                 ms(cfg.Int("controller.quorum.election.timeout.ms")) / 10,
		BrokerSessionTimeout:         ms(cfg.Int("broker.session.timeout.ms")),
		AutoLeaderRebalance:          &autoRebalance,
		LeaderImbalanceCheckInterval: time.Duration(cfg.Int("leader.imbalance.check.interval.seconds")) * time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("broker: controller: %w", err)
	}
	b.ctrl = ctrl
	b.server = network.New(network.Options{
		Registry:            wire.NewRegistry(), // filled by startBroker, before the client listeners open
		MaxRequestBytes:     cfg.SocketRequestMaxBytes,
		MaxConnectionsPerIP: cfg.MaxConnectionsPerIP,
		IdleTimeout:         ms(cfg.Int("connections.max.idle.ms")),
		Logger:              b.logger.With("component", "network"),
	})

	// The CONTROLLER listener opens before the controller starts: the
	// quorum forms over it, and brokers register and heartbeat through it.
	h := &api.Handlers{NodeID: cfg.NodeID, Config: cfg, Ctrl: ctrl, Logger: b.logger.With("component", "api")}
	h.Authorizer = b.newAuthorizer()
	var local func(context.Context, kmsg.Request) (kmsg.Response, error)
	if l := cfg.ControllerListener(); l != nil {
		ctrlReg := wire.NewRegistry()
		api.RegisterController(ctrlReg, h)
		lo, err := b.listenOptions(*l) // TLS for an SSL CONTROLLER listener
		if err != nil {
			return nil, fmt.Errorf("broker: %w", err)
		}
		lo.Registry = ctrlReg
		if b.transport != nil {
			lo.Takeover = &network.Takeover{Preface: raft.RaftPreface, Serve: b.transport.ServeConn}
		}
		addr, err := b.server.ListenWith(l.Name, net.JoinHostPort(l.Host, fmt.Sprint(l.Port)), lo)
		if err != nil {
			return nil, fmt.Errorf("broker: %w", err)
		}
		b.addrs[l.Name] = addr
		local = localController(ctrlReg, l.Name)
	} else if cfg.IsController() {
		// A sole combined voter with no CONTROLLER listener.
		ctrlReg := wire.NewRegistry()
		api.RegisterController(ctrlReg, h)
		local = localController(ctrlReg, "")
	}
	b.ctrlClient = ctrlclient.New(ctrlclient.Options{
		NodeID: cfg.NodeID, Voters: voters, Leader: ctrl.ActiveControllerID, Local: local,
		RequestTimeout: ms(cfg.Int("controller.quorum.request.timeout.ms")),
		Logger:         b.logger.With("component", "controller-client"),
		Security:       b.ctrlSec,
	})
	h.ToController = b.ctrlClient.Do
	return h, nil
}

// startBroker opens the client listeners and registers with the active
// controller; it returns the advertised endpoints.
func (b *Broker) startBroker(ctx context.Context, h *api.Handlers, requests *controllerRequests) ([]metadata.Endpoint, error) {
	cfg := b.cfg
	pids := &producerIDs{alloc: requests.allocateProducerIDs}
	h.Replicas, h.Groups, h.NextProducerID = b.replicas, b.groups, pids.allocate
	b.wireTxn(h)
	api.Register(b.server.Registry(), h)
	var endpoints []metadata.Endpoint
	for _, l := range cfg.Listeners {
		if cfg.IsControllerListener(l.Name) {
			continue
		}
		lo, err := b.listenOptions(l)
		if err != nil {
			return nil, fmt.Errorf("broker: %w", err)
		}
		addr, err := b.server.ListenWith(l.Name, net.JoinHostPort(l.Host, fmt.Sprint(l.Port)), lo)
		if err != nil {
			return nil, fmt.Errorf("broker: %w", err)
		}
		b.addrs[l.Name] = addr
	}
	for _, a := range cfg.AdvertisedListeners {
		port := a.Port
		if bound, ok := b.addrs[a.Name].(*net.TCPAddr); ok && port == 0 {
			port = int32(bound.Port) // listeners=...:0 picks a free port; advertise the real one
		}
		endpoints = append(endpoints, metadata.Endpoint{Listener: a.Name, SecurityProtocol: a.SecurityProtocol, Host: a.Host, Port: port})
	}
	ctrl := b.ctrl
	b.life = newLifecycle(cfg.NodeID, cfg.Rack, endpoints, func() string { return ctrl.Image().ClusterID },
		func() uint64 { return ctrl.Image().Offset }, b.ctrlClient, ms(cfg.Int("broker.heartbeat.interval.ms")),
		b.logger.With("component", "lifecycle"))
	b.life.previousEpoch, b.life.onEpoch = b.logs.PreviousBrokerEpoch(), b.logs.SetBrokerEpoch // KIP-966 clean shutdown
	if err := b.life.start(ctx); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	return endpoints, nil
}

// expectedBrokers is how many brokers __consumer_offsets may count on. In
// combined mode every voter is a broker, so a cluster smaller than
// offsets.topic.replication.factor still gets a working offsets topic;
// with dedicated controllers or observers the broker count is not known
// from the configuration, and Kafka's rule holds: the topic is created
// once offsets.topic.replication.factor brokers are up.
func expectedBrokers(cfg *config.Broker) int {
	if cfg.IsCombined() {
		return len(cfg.VoterIDs())
	}
	return int(cfg.Int("offsets.topic.replication.factor"))
}

func (b *Broker) brokerEpoch() int64 {
	if b.life == nil {
		return -1
	}
	return b.life.Epoch()
}

func ms(n int64) time.Duration { return time.Duration(n) * time.Millisecond }

// Addr returns the bound address of a listener (useful with port 0).
func (b *Broker) Addr(listener string) net.Addr { return b.addrs[listener] }

func (b *Broker) fail(err error) error {
	return errors.Join(err, b.close(false))
}

// Close moves leadership away (controlled.shutdown.enable), then stops the
// client listeners so no request sees a half-closed broker, then the
// coordinators, replication, the controller and its listener, and finally
// the logs; the logs write the clean-shutdown marker only if everything
// closed cleanly.
func (b *Broker) Close() error { return b.close(b.cfg.Bool("controlled.shutdown.enable")) }

func (b *Broker) close(controlled bool) error {
	var errs []error
	b.stopAdmin() // first: nothing scrapes a half-closed broker
	if b.life != nil {
		if controlled {
			ctx, cancel := context.WithTimeout(context.Background(), controlledShutdownTimeout)
			b.life.shutdown(ctx)
			cancel()
		} else {
			b.life.stop()
		}
	}
	if b.server != nil {
		b.server.CloseExcept(b.cfg.ControllerListenerNames...)
	}
	if b.replicas != nil {
		// Before the coordinator: a coordinator write waiting for its
		// commit fails at once instead of timing out.
		b.replicas.Close()
	}
	if b.groups != nil {
		b.groups.Close()
	}
	if b.txns != nil {
		b.txns.Close()
		b.markers.close()
	}
	if b.ctrlClient != nil {
		b.ctrlClient.Close()
	}
	if b.ctrl != nil {
		// The CONTROLLER listener stays open until here: an active
		// controller hands raft leadership over as it stops, and needs
		// its peers' answers to do it.
		errs = append(errs, b.ctrl.Close())
	}
	if b.server != nil {
		b.server.Close()
	}
	if b.transport != nil {
		errs = append(errs, b.transport.Close())
	}
	if b.logs != nil {
		errs = append(errs, b.logs.Close())
	}
	return errors.Join(errs...)
}
