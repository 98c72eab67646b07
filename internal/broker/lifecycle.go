package broker

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/api"
	"github.com/strom-project/strom/internal/ctrlclient"
	"github.com/strom-project/strom/internal/metadata"
)

// A controlled shutdown gives up after shutdownMaxFailures heartbeats in a
// row found no active controller within shutdownAttemptTimeout each.
const (
	shutdownAttemptTimeout = 2 * time.Second
	shutdownMaxFailures    = 2
)

// lifecycle is this broker's session with the active controller (KIP-631):
// it registers, heartbeats every broker.heartbeat.interval.ms, learns its
// broker epoch and whether it is fenced, and on shutdown asks the
// controller to move its leaderships away first.
type lifecycle struct {
	nodeID      int32
	incarnation [16]byte
	rack        *string
	endpoints   []metadata.Endpoint
	clusterID   func() string
	metaOffset  func() uint64
	ctrl        *ctrlclient.Client
	interval    time.Duration
	logger      *slog.Logger

	// previousEpoch is the broker epoch in the clean-shutdown marker the
	// logs found at startup (-1: none, a crash); onEpoch hands every new
	// epoch to the logs, which write it in the marker at a clean shutdown
	// (KIP-966: the controller takes a restart whose previous epoch is not
	// the registered one as unclean). Set before start.
	previousEpoch int64
	onEpoch       func(int64)

	epoch     atomic.Int64
	fenced    atomic.Bool
	unfenced  chan struct{} // closed at the first unfence
	unfenceMu sync.Once

	running atomic.Bool
	stopc   chan struct{}
	done    chan struct{}
}

func newLifecycle(nodeID int32, rack *string, endpoints []metadata.Endpoint, clusterID func() string, metaOffset func() uint64,
	ctrl *ctrlclient.Client, interval time.Duration, logger *slog.Logger) *lifecycle {
	l := &lifecycle{
		nodeID: nodeID, rack: rack, endpoints: endpoints, clusterID: clusterID, metaOffset: metaOffset,
		ctrl: ctrl, interval: interval, logger: logger,
		unfenced: make(chan struct{}), stopc: make(chan struct{}), done: make(chan struct{}),
	}
	rand.Read(l.incarnation[:])
	l.epoch.Store(-1)
	l.previousEpoch = -1
	l.fenced.Store(true)
	return l
}

// Epoch is the broker epoch of the current registration, -1 before it.
func (l *lifecycle) Epoch() int64 { return l.epoch.Load() }

// start registers, starts heartbeating and returns once the controller has
// unfenced this broker (its metadata caught up with the registration).
func (l *lifecycle) start(ctx context.Context) error {
	for warned := false; ; warned = true {
		err := l.register(ctx)
		if !errors.Is(err, kerr.DuplicateBrokerRegistration) {
			if err != nil {
				return err
			}
			break
		}
		// Another live process holds this node.id, or this node's
		// previous process died less than broker.session.timeout.ms ago.
		// Kafka's broker retries until the old session expires.
		if !warned {
			l.logger.Warn("another process is registered with this node.id; retrying until its session expires", "node.id", l.nodeID)
		}
		select {
		case <-time.After(registerRetryBackoff):
		case <-ctx.Done():
			return fmt.Errorf("registering with the controller: %w: %w", err, ctx.Err())
		}
	}
	l.running.Store(true)
	go l.run()
	select {
	case <-l.unfenced:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting to be unfenced by the controller: %w", ctx.Err())
	}
}

func (l *lifecycle) register(ctx context.Context) error {
	req := kmsg.NewPtrBrokerRegistrationRequest()
	req.SetVersion(3)
	req.BrokerID, req.ClusterID, req.IncarnationID, req.Rack = l.nodeID, l.clusterID(), l.incarnation, l.rack
	req.PreviousBrokerEpoch = l.epoch.Load()
	if req.PreviousBrokerEpoch < 0 {
		req.PreviousBrokerEpoch = l.previousEpoch // this process's first registration
	}
	for _, e := range l.endpoints {
		rl := kmsg.NewBrokerRegistrationRequestListener()
		rl.Name, rl.Host, rl.Port, rl.SecurityProtocol = e.Listener, e.Host, uint16(e.Port), api.SecurityProtocolID(e.SecurityProtocol)
		req.Listeners = append(req.Listeners, rl)
	}
	resp, err := l.ctrl.Do(ctx, req)
	if err != nil {
		return fmt.Errorf("registering with the controller: %w", err)
	}
	r := resp.(*kmsg.BrokerRegistrationResponse)
	if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
		return fmt.Errorf("registering with the controller: %w", err)
	}
	l.epoch.Store(r.BrokerEpoch)
	if l.onEpoch != nil {
		l.onEpoch(r.BrokerEpoch)
	}
	l.logger.Info("registered with the controller", "broker.epoch", r.BrokerEpoch, "previous.broker.epoch", req.PreviousBrokerEpoch)
	l.heartbeat(ctx, false)
	return nil
}

func (l *lifecycle) run() {
	defer close(l.done)
	t := time.NewTimer(l.next())
	defer t.Stop()
	for {
		select {
		case <-l.stopc:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), l.interval*5)
		_, err := l.heartbeat(ctx, false)
		if errors.Is(err, kerr.StaleBrokerEpoch) || errors.Is(err, kerr.BrokerIDNotRegistered) {
			// The controller forgot or replaced this registration (e.g.
			// a new incarnation was refused, or metadata was reset):
			// register again with the same incarnation.
			if rerr := l.register(ctx); rerr != nil {
				l.logger.Warn("re-registering", "err", rerr)
			}
		} else if err != nil {
			l.logger.Debug("heartbeat failed", "err", err)
		}
		cancel()
		t.Reset(l.next())
	}
}

// registerRetryBackoff is how long a broker refused as a duplicate
// registration waits before trying again.
const registerRetryBackoff = 500 * time.Millisecond

// fencedHeartbeatInterval is how often a fenced broker heartbeats: it is
// unfenced by the first heartbeat after its metadata caught up, and should
// not wait a whole broker.heartbeat.interval.ms for it (Kafka's brokers
// also heartbeat eagerly until caught up).
const fencedHeartbeatInterval = 50 * time.Millisecond

func (l *lifecycle) next() time.Duration {
	if l.fenced.Load() {
		return min(fencedHeartbeatInterval, l.interval)
	}
	return l.interval
}

// heartbeat sends one heartbeat and records the answer.
func (l *lifecycle) heartbeat(ctx context.Context, wantShutdown bool) (*kmsg.BrokerHeartbeatResponse, error) {
	req := kmsg.NewPtrBrokerHeartbeatRequest()
	req.SetVersion(1)
	req.BrokerID, req.BrokerEpoch = l.nodeID, l.epoch.Load()
	req.CurrentMetadataOffset = int64(l.metaOffset())
	req.WantShutdown = wantShutdown
	resp, err := l.ctrl.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	r := resp.(*kmsg.BrokerHeartbeatResponse)
	if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
		return nil, err
	}
	was := l.fenced.Swap(r.IsFenced)
	switch {
	case was && !r.IsFenced:
		l.logger.Info("unfenced by the controller", "broker.epoch", req.BrokerEpoch)
		l.unfenceMu.Do(func() { close(l.unfenced) })
	case !was && r.IsFenced:
		l.logger.Warn("fenced by the controller", "broker.epoch", req.BrokerEpoch)
	}
	return r, nil
}

// shutdown asks the controller to move this broker's leaderships away and
// waits (bounded by ctx) until it says the broker may stop, then stops
// heartbeating.
func (l *lifecycle) shutdown(ctx context.Context) {
	l.stop()
	if l.epoch.Load() < 0 {
		return
	}
	failures := 0
	for {
		actx, cancel := context.WithTimeout(ctx, shutdownAttemptTimeout)
		r, err := l.heartbeat(actx, true)
		cancel()
		if err == nil && r.ShouldShutdown {
			l.logger.Info("controlled shutdown: leaderships moved")
			return
		}
		if failures++; err == nil {
			failures = 0
		}
		if failures >= shutdownMaxFailures {
			// No controller answers (the last nodes of a cluster stopping
			// together have no quorum): nothing can move, stop anyway.
			l.logger.Warn("controlled shutdown: no active controller answered; stopping anyway", "err", err)
			return
		}
		select {
		case <-ctx.Done():
			l.logger.Warn("controlled shutdown did not finish; stopping anyway", "err", err)
			return
		case <-time.After(l.interval / 4):
		}
	}
}

// stop ends the heartbeat loop. Idempotent.
func (l *lifecycle) stop() {
	select {
	case <-l.stopc:
	default:
		close(l.stopc)
	}
	if l.running.Load() {
		<-l.done
	}
}
