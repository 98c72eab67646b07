package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/strom-project/strom/internal/api"
	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/controller"
	"github.com/strom-project/strom/internal/coordinator/group"
	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/network"
	"github.com/strom-project/strom/internal/replica"
	"github.com/strom-project/strom/internal/storage"
	"github.com/strom-project/strom/internal/wire"
)

// metadataDirName is where the metadata log lives inside metadata.log.dir,
// named as Kafka names it.
const metadataDirName = "__cluster_metadata-0"

// Broker is one running node. Start and Close must not race.
type Broker struct {
	cfg    *config.Broker
	logger *slog.Logger

	logs     *storage.Manager
	ctrl     *controller.Controller
	replicas *replica.Manager
	groups   *group.Coordinator
	server   *network.Server
	addrs    map[string]net.Addr
}

// New validates the configuration and prepares directories; Start runs it.
func New(cfg *config.Broker, logger *slog.Logger) (*Broker, error) {
	if logger == nil {
		logger = slog.Default()
	}
	for _, d := range append(cfg.LogDirs, cfg.MetadataLogDir) {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("broker: %w", err)
		}
	}
	return &Broker{cfg: cfg, logger: logger, addrs: map[string]net.Addr{}}, nil
}

// Start recovers the logs, replays the metadata log, opens listeners and
// registers this broker. It returns once clients can be served.
func (b *Broker) Start(ctx context.Context) error {
	began := time.Now()
	logs, err := storage.NewManager(b.cfg.LogDirs, b.logger, time.Now)
	if err != nil {
		return fmt.Errorf("broker: storage: %w", err)
	}
	b.logs = logs
	ctrl, err := controller.New(controller.Options{
		NodeID:                   b.cfg.NodeID,
		MetadataDir:              filepath.Join(b.cfg.MetadataLogDir, metadataDirName),
		Logger:                   b.logger,
		Now:                      time.Now,
		NumPartitions:            b.cfg.NumPartitions,
		DefaultReplicationFactor: b.cfg.DefaultReplicationFactor,
		ValidateTopicConfig:      config.ValidateTopicConfig,
	})
	if err != nil {
		return b.fail(fmt.Errorf("broker: controller: %w", err))
	}
	b.ctrl = ctrl
	b.replicas = replica.NewManager(b.cfg.NodeID, b.cfg, logs, b.logger.With("component", "replica"))
	ctrl.Subscribe(b.replicas.Apply)
	// After the replica manager: the coordinator loads the offsets
	// partitions it leads from the logs Apply just opened.
	b.groups = group.New(group.Options{
		NodeID: b.cfg.NodeID, Config: group.ConfigFrom(b.cfg), Metadata: ctrl, Replicas: b.replicas,
		Logger: b.logger.With("component", "group-coordinator"),
	})
	ctrl.Subscribe(b.groups.Apply)
	if err := ctrl.Start(ctx); err != nil {
		return b.fail(fmt.Errorf("broker: metadata: %w", err))
	}

	reg := wire.NewRegistry()
	pids := &producerIDs{ctrl: ctrl, nodeID: b.cfg.NodeID}
	api.Register(reg, &api.Handlers{
		NodeID: b.cfg.NodeID, Config: b.cfg, Ctrl: ctrl, Replicas: b.replicas, Groups: b.groups,
		NextProducerID: pids.allocate, Logger: b.logger.With("component", "api"),
	})
	b.server = network.New(network.Options{
		Registry:            reg,
		MaxRequestBytes:     b.cfg.SocketRequestMaxBytes,
		MaxConnectionsPerIP: b.cfg.MaxConnectionsPerIP,
		IdleTimeout:         time.Duration(b.cfg.Int("connections.max.idle.ms")) * time.Millisecond,
		Logger:              b.logger.With("component", "network"),
	})
	var endpoints []metadata.Endpoint
	for _, l := range b.cfg.Listeners {
		addr, err := b.server.Listen(l.Name, net.JoinHostPort(l.Host, fmt.Sprint(l.Port)))
		if err != nil {
			return b.fail(fmt.Errorf("broker: %w", err))
		}
		b.addrs[l.Name] = addr
	}
	for _, a := range b.cfg.AdvertisedListeners {
		port := a.Port
		if bound, ok := b.addrs[a.Name].(*net.TCPAddr); ok && port == 0 {
			port = int32(bound.Port) // listeners=...:0 picks a free port; advertise the real one
		}
		endpoints = append(endpoints, metadata.Endpoint{Listener: a.Name, SecurityProtocol: a.SecurityProtocol, Host: a.Host, Port: port})
	}
	if err := ctrl.RegisterBroker(ctx, controller.BrokerRegistration{ID: b.cfg.NodeID, Rack: b.cfg.Rack, Endpoints: endpoints}); err != nil {
		return b.fail(fmt.Errorf("broker: registering: %w", err))
	}
	logs.Start()
	b.logger.Info("ready", "node.id", b.cfg.NodeID, "cluster.id", ctrl.Image().ClusterID,
		"listeners", endpoints, "log.dirs", b.cfg.LogDirs, "startup", time.Since(began).Round(time.Microsecond))
	return nil
}

// Addr returns the bound address of a listener (useful with port 0).
func (b *Broker) Addr(listener string) net.Addr { return b.addrs[listener] }

func (b *Broker) fail(err error) error {
	return errors.Join(err, b.Close())
}

// Close stops listeners first so no request sees a half-closed broker,
// then the group coordinator, the controller, then the logs; the logs
// write the clean-shutdown marker only if everything closed cleanly.
func (b *Broker) Close() error {
	var errs []error
	if b.server != nil {
		b.server.Close()
	}
	if b.groups != nil {
		b.groups.Close()
	}
	if b.ctrl != nil {
		errs = append(errs, b.ctrl.Close())
	}
	if b.logs != nil {
		errs = append(errs, b.logs.Close())
	}
	return errors.Join(errs...)
}
