package broker

import (
	"context"
	"errors"
	"net"
	"sync/atomic"

	"github.com/strom-project/strom/internal/api"
	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/coordinator/group"
	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/metrics"
	"github.com/strom-project/strom/internal/replica"
)

// The admin listener (admin.listener): Prometheus metrics and the health
// and readiness probes of package metrics. Start opens it early, before
// the metadata log is replayed, so /health answers during a long start;
// /ready says 503 until the broker is registered and unfenced; the state
// gauges appear once the subsystems exist (adminServing). Close stops it
// first, so nothing scrapes a broker half torn down.

// admin is the broker's metrics and its HTTP listener; nil when
// admin.listener is empty.
type admin struct {
	metrics *metrics.Metrics
	server  *metrics.Server
	// ready is nil until adminServing, then reports why the broker is not
	// ready (nil: ready).
	ready   atomic.Pointer[func() error]
	stopped bool // set by Close; Start and Close do not race
}

var errStarting = errors.New("starting: the metadata log, registration and unfencing are not done yet")

// startAdmin binds the admin listener and instruments the request path
// (h and the network server) before the client listeners open. Call it
// once b.server and b.ctrl exist.
func (b *Broker) startAdmin(h *api.Handlers) error {
	addr := b.cfg.Get("admin.listener")
	if addr == "" {
		return nil
	}
	ctrl := b.ctrl
	a := &admin{metrics: metrics.New(func(topic string) bool { return ctrl.Image().Topics[topic] != nil })}
	logger := b.logger.With("component", "admin")
	srv, err := metrics.Serve(addr, a.metrics.Handler(a.readiness, logger), logger)
	if err != nil {
		return err // names admin.listener's address: a clear start failure
	}
	a.server = srv
	b.server.SetObserver(a.metrics.Requests)
	h.Traffic = a.metrics.Traffic
	h.OnThrottle = a.metrics.Throttles.Observe
	b.admin = a
	logger.Info("admin listener", "addr", srv.Addr())
	return nil
}

func (a *admin) readiness() error {
	f := a.ready.Load()
	if f == nil {
		return errStarting
	}
	return (*f)()
}

// adminServing makes the state gauges and /ready live; Start defers it,
// so they go live once Start has succeeded (after a failed Start the
// listener is already closed and this does nothing). A controller-only
// node has no partitions, groups or registration: it is ready once its
// controller runs.
func (b *Broker) adminServing() {
	a := b.admin
	if a == nil || a.stopped {
		return
	}
	cfg, ctrl := b.cfg, b.ctrl
	src := metrics.Sources{Image: ctrl.Image, ControllerActive: ctrl.Active, LogDirs: cfg.LogDirs}
	if replicas := b.replicas; replicas != nil {
		src.Partitions = func() []metrics.PartitionState { return partitionStates(replicas, ctrl.Image(), cfg) }
		src.ISRChanges = replicas.ISRChanges
	}
	if groups := b.groups; groups != nil {
		src.GroupLag = func(ctx context.Context) ([]metrics.GroupLag, error) { return groupLags(ctx, groups) }
	}
	if err := a.metrics.AddState(src); err != nil {
		b.logger.Error("registering state metrics", "err", err)
	}
	life := b.life
	ready := func() error {
		switch {
		case life == nil:
			return nil
		case life.Epoch() < 0:
			return errors.New("not registered with the controller")
		case life.fenced.Load():
			// The controller unfences a broker once its metadata caught
			// up with its registration: fenced means not caught up (or
			// fenced since, e.g. after a lost session).
			return errors.New("fenced by the controller (metadata not caught up, or session lost)")
		}
		return nil
	}
	a.ready.Store(&ready)
}

// AdminAddr is the admin listener's bound address (useful with port 0),
// nil when admin.listener is empty or before Start.
func (b *Broker) AdminAddr() net.Addr {
	if b.admin == nil {
		return nil
	}
	return b.admin.server.Addr()
}

// stopAdmin closes the admin listener; scrapes in flight finish first.
func (b *Broker) stopAdmin() {
	if b.admin == nil {
		return
	}
	if b.admin.stopped {
		return
	}
	b.admin.stopped = true
	if err := b.admin.server.Close(); err != nil {
		b.logger.Warn("closing the admin listener", "err", err)
	}
}

// partitionStates is what the state gauges need of each hosted partition.
func partitionStates(m *replica.Manager, im *metadata.Image, cfg *config.Broker) []metrics.PartitionState {
	parts := m.Partitions()
	out := make([]metrics.PartitionState, 0, len(parts))
	minISR := map[string]int{} // by topic
	for _, p := range parts {
		st := p.State()
		rf := len(st.Replicas) - len(st.RemovingReplicas) // the target replicas during a reassignment
		mi, ok := minISR[p.Topic]
		if !ok {
			mi = int(replica.ResolveMinISR(cfg, im.Configs[metadata.ConfigResource{Type: metadata.TopicResource, Name: p.Topic}]))
			minISR[p.Topic] = mi
		}
		out = append(out, metrics.PartitionState{
			Topic: p.Topic, Partition: p.Index, Leader: st.Leader == cfg.NodeID,
			Replicas: rf, ISR: len(st.ISR), MinISR: max(min(mi, rf), 1),
			LogStartOffset: p.Log.LogStartOffset(), LogEndOffset: p.Log.LogEndOffset(),
			HighWatermark: p.Log.HighWatermark(), SizeBytes: p.Log.Size(),
		})
	}
	return out
}

// groupLags is the lag of every group this broker coordinates.
func groupLags(ctx context.Context, groups *group.Coordinator) ([]metrics.GroupLag, error) {
	lags, err := groups.Lag(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]metrics.GroupLag, len(lags))
	for i, l := range lags {
		out[i] = metrics.GroupLag{Group: l.Group, Topic: l.Topic, Partition: l.Partition, Committed: l.Committed, Lag: l.Lag}
	}
	return out, nil
}
