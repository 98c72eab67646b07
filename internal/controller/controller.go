package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/raft"
)

// metadataLogDir is Kafka's name for the metadata log's directory.
const metadataLogDir = "__cluster_metadata-0"

// Controller is the event loop that owns the metadata log on one voter of
// the metadata quorum. The controller of the raft leader is the active one:
// it alone decides; the others only apply the log.
//
// Concurrency: every decision (validate a request against the image, build
// records, propose them) and every piece of timing state (broker sessions)
// lives on one goroutine, the loop, fed by reqc and a ticker; a request
// returns only after its records are applied, so the next request validates
// against an image that includes them. Applying runs on the raft goroutine,
// which stores the new image atomically and calls subscribers. Image,
// Active and ActiveControllerID are safe to call from any goroutine.
type Controller struct {
	opts Options
	log  *slog.Logger

	image atomic.Pointer[metadata.Image]
	delta *metadata.Delta // pending applies; raft goroutine only

	subsMu sync.Mutex
	subs   []func(prev, next *metadata.Image)

	node      *raft.Node // set by Start before the loop starts
	clusterID string
	// newClusterID is what this node commits if it becomes active on a log
	// without a cluster id (Options.ClusterID, meta.properties, or random).
	newClusterID string
	// bootstrap are the records `strom storage format` prepared, committed
	// with the cluster id by the first active controller.
	bootstrap   []metadata.Record
	clusterIDc  chan struct{} // closed once an image with a cluster id is published
	clusterOnce sync.Once

	// act is the active controller's in-memory state; nil while this node
	// is not active. Loop goroutine only.
	act *activeState

	reqc     chan func()
	stopc    chan struct{}
	loopDone chan struct{}
	started  atomic.Bool
	running  atomic.Bool // Start succeeded; operations are accepted
	// loopStarted is written by Start before the loop runs; Close reads it
	// (Start and Close must not race, like any Start/Close pair).
	loopStarted bool
	closeOnce   sync.Once
	closeErr    error
}

// New validates opts; nothing touches the disk until Start.
func New(opts Options) (*Controller, error) {
	if opts.NodeID < 0 {
		return nil, fmt.Errorf("controller: node.id must be ≥ 0, got %d", opts.NodeID)
	}
	if opts.MetadataDir == "" {
		return nil, errors.New("controller: MetadataDir is required")
	}
	opts.setDefaults()
	c := &Controller{
		opts: opts, log: opts.Logger.With("component", "controller"),
		clusterIDc: make(chan struct{}),
		reqc:       make(chan func()), stopc: make(chan struct{}), loopDone: make(chan struct{}),
	}
	c.image.Store(metadata.NewImage())
	return c, nil
}

// Start replays the metadata log, joins the quorum and returns once this
// node's image is current (on a follower too) and has a cluster id, which
// it then records in (or checks against) meta.properties. It does not
// register a broker: brokers register and heartbeat through the active
// controller (RegisterBroker, BrokerHeartbeat).
func (c *Controller) Start(ctx context.Context) error {
	if !c.started.CompareAndSwap(false, true) {
		return errors.New("controller: already started")
	}
	mp, found, err := readMetaProperties(c.opts.MetadataDir, c.opts.NodeID, c.opts.ClusterID)
	if err != nil {
		return err
	}
	c.newClusterID = c.opts.ClusterID
	if c.newClusterID == "" {
		c.newClusterID = mp.ClusterID
	}
	if c.bootstrap, err = readBootstrap(c.opts.MetadataDir); err != nil {
		return err
	}
	if c.newClusterID == "" {
		c.newClusterID = NewClusterID()
	}
	// The bootstrap snapshot is empty, identical on every voter; the first
	// active controller commits the cluster id (ensureClusterID).
	c.node, err = raft.Start(raft.Config{
		NodeID: c.opts.NodeID, Voters: c.opts.Voters, Transport: c.opts.Transport,
		Dir:          filepath.Join(c.opts.MetadataDir, metadataLogDir),
		StateMachine: (*stateMachine)(c), SnapshotEvery: c.opts.SnapshotEvery,
		TickInterval: c.opts.TickInterval, Logger: c.opts.Logger,
	})
	if err != nil {
		return fmt.Errorf("controller: open metadata log: %w", err)
	}
	if s, ok := c.opts.Transport.(interface{ SetNode(*raft.Node) }); ok {
		s.SetNode(c.node)
	}
	if err := c.node.WaitReady(ctx); err != nil {
		c.node.Stop()
		return fmt.Errorf("controller: waiting for the metadata quorum: %w", err)
	}
	c.loopStarted = true
	go c.loop()
	select {
	case <-c.clusterIDc:
	case <-ctx.Done():
		c.Close()
		return fmt.Errorf("controller: waiting for the cluster id: %w", ctx.Err())
	}
	im := c.Image()
	if found && im.ClusterID != mp.ClusterID {
		c.Close()
		return fmt.Errorf("controller: metadata log belongs to cluster %q but meta.properties says %q", im.ClusterID, mp.ClusterID)
	}
	if !found {
		mp = metaProperties{ClusterID: im.ClusterID, NodeID: c.opts.NodeID}
		if err := writeMetaProperties(filepath.Join(c.opts.MetadataDir, metaPropertiesName), mp, c.opts.Now()); err != nil {
			c.Close()
			return err
		}
	}
	c.clusterID = im.ClusterID
	c.running.Store(true)
	c.log.Info("metadata ready", "cluster.id", im.ClusterID, "node.id", c.opts.NodeID,
		"voters", c.opts.Voters, "offset", im.Offset, "topics", len(im.Topics))
	return nil
}

// ClusterID is this cluster's id; valid after Start.
func (c *Controller) ClusterID() string { return c.clusterID }

// Image is the latest applied metadata image. Never nil.
func (c *Controller) Image() *metadata.Image { return c.image.Load() }

// Active reports whether this node is the active controller: the raft
// leader, with every entry of earlier terms applied. Operations on a node
// that is not active fail with ErrNotController.
func (c *Controller) Active() bool { return c.running.Load() && c.node.IsActive() }

// ActiveControllerID is the node id of the raft leader, whose controller is
// (or is about to be) the active one; -1 if unknown.
func (c *Controller) ActiveControllerID() int32 {
	if !c.running.Load() {
		return -1
	}
	return c.node.Leader()
}

// Subscribe registers fn to be called, in log order on the apply goroutine,
// with every new image (and the previous one). Register before Start to see
// the replayed image too. fn must not block for long nor call controller
// operations (they wait for the apply goroutine: deadlock).
func (c *Controller) Subscribe(fn func(prev, next *metadata.Image)) {
	c.subsMu.Lock()
	c.subs = append(c.subs, fn)
	c.subsMu.Unlock()
}

// Close stops the event loop and the metadata log. Idempotent.
func (c *Controller) Close() error {
	c.closeOnce.Do(func() {
		close(c.stopc)
		if c.node != nil {
			// Stopping the node first fails a proposal the loop may be
			// waiting on, so the loop can exit.
			c.closeErr = c.node.Stop()
		}
		if c.loopStarted {
			<-c.loopDone
		}
	})
	return c.closeErr
}

func (c *Controller) loop() {
	defer close(c.loopDone)
	ticker := time.NewTicker(c.opts.checkInterval())
	defer ticker.Stop()
	c.periodic()
	for {
		select {
		case fn := <-c.reqc:
			fn()
		case <-ticker.C:
			c.periodic()
		case <-c.stopc:
			return
		}
	}
}

// do runs fn on the event loop and waits for it.
func (c *Controller) do(ctx context.Context, fn func()) error {
	if !c.running.Load() {
		return fmt.Errorf("%w: controller not started", ErrNotController)
	}
	done := make(chan struct{})
	select {
	case c.reqc <- func() { defer close(done); fn() }:
	case <-c.stopc:
		return fmt.Errorf("%w: controller closed", ErrNotController)
	case <-ctx.Done():
		return ctx.Err()
	}
	<-done
	return nil
}

// activeImage is the first step of every operation on the loop: the current
// image if this node is the active controller, else ErrNotController.
func (c *Controller) activeImage(ctx context.Context) (*metadata.Image, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !c.checkActive() {
		if l := c.node.Leader(); l >= 0 && l != c.opts.NodeID {
			return nil, fmt.Errorf("%w: The active controller is node %d.", ErrNotController, l)
		}
		return nil, fmt.Errorf("%w: No active controller is known yet.", ErrNotController)
	}
	return c.Image(), nil
}

// propose appends recs as one atomic batch and waits until it is applied,
// returning its offset (0 for no records). It runs on the loop.
func (c *Controller) propose(ctx context.Context, recs []metadata.Record) (uint64, error) {
	if len(recs) == 0 {
		return 0, nil
	}
	// A min.insync.replicas change clears ELRs, whoever writes it (elr.go).
	recs = append(recs, minISRClears(c.Image(), recs)...)
	// Wait for the outcome even if the caller gives up: the next request
	// must validate against an image that includes this batch if it
	// commits. Losing leadership fails the proposal promptly; Close ends
	// the wait.
	index, err := c.node.Propose(context.WithoutCancel(ctx), metadata.EncodeBatch(recs))
	switch {
	case err == nil:
		return index, nil
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrProposalDropped), errors.Is(err, raft.ErrStopped):
		// The entry may still commit under a new leader; the caller's retry
		// through the new active controller sees it.
		c.checkActive()
		return 0, fmt.Errorf("%w: %v", ErrNotController, err)
	}
	return 0, err
}
