package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/raft"
)

// metadataLogDir is Kafka's name for the metadata log's directory.
const metadataLogDir = "__cluster_metadata-0"

// Controller is the single event loop that owns the metadata log.
//
// Concurrency: every decision (validate a request against the image, build
// records, propose them) runs on one goroutine, fed by reqc; a request
// returns only after its records are applied, so the next request validates
// against an image that includes them. Applying runs on the raft goroutine,
// which stores the new image atomically and calls subscribers. Image is
// safe to call from any goroutine.
type Controller struct {
	opts Options
	log  *slog.Logger

	image atomic.Pointer[metadata.Image]
	delta *metadata.Delta // pending applies; raft goroutine only

	subsMu sync.Mutex
	subs   []func(prev, next *metadata.Image)

	node      *raft.Node
	clusterID string
	reqc      chan func()
	stopc     chan struct{}
	loopDone  chan struct{}
	started   atomic.Bool
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
		reqc: make(chan func()), stopc: make(chan struct{}), loopDone: make(chan struct{}),
	}
	c.image.Store(metadata.NewImage())
	return c, nil
}

// Start replays the metadata log, elects this node (one voter) and returns
// once the image is current and proposals can be made. It then registers
// this node as a broker.
func (c *Controller) Start(ctx context.Context) error {
	if !c.started.CompareAndSwap(false, true) {
		return errors.New("controller: already started")
	}
	mp, err := loadOrCreateMetaProperties(c.opts.MetadataDir, c.opts.NodeID, c.opts.ClusterID, c.opts.Now())
	if err != nil {
		return err
	}
	c.clusterID = mp.ClusterID
	boot := metadata.EncodeBatch([]metadata.Record{&metadata.ClusterIDRecord{ClusterID: mp.ClusterID}})
	c.node, err = raft.Start(raft.Config{
		NodeID: c.opts.NodeID, Dir: filepath.Join(c.opts.MetadataDir, metadataLogDir),
		Bootstrap: boot, StateMachine: (*stateMachine)(c), SnapshotEvery: c.opts.SnapshotEvery,
		TickInterval: c.opts.TickInterval, Logger: c.opts.Logger,
	})
	if err != nil {
		return fmt.Errorf("controller: open metadata log: %w", err)
	}
	if err := c.node.WaitReady(ctx); err != nil {
		c.node.Stop()
		return fmt.Errorf("controller: waiting for metadata leadership: %w", err)
	}
	if got := c.Image().ClusterID; got != mp.ClusterID {
		c.node.Stop()
		return fmt.Errorf("controller: metadata log belongs to cluster %q but meta.properties says %q", got, mp.ClusterID)
	}
	c.loopStarted = true
	go c.loop()
	reg := BrokerRegistration{ID: c.opts.NodeID, Rack: c.opts.Rack, Endpoints: c.opts.Endpoints}
	if err := c.RegisterBroker(ctx, reg); err != nil {
		c.Close()
		return fmt.Errorf("controller: register this broker: %w", err)
	}
	im := c.Image()
	c.log.Info("metadata ready", "cluster.id", mp.ClusterID, "node.id", c.opts.NodeID,
		"offset", im.Offset, "topics", len(im.Topics))
	return nil
}

// ClusterID is this cluster's id (from meta.properties); valid after Start.
func (c *Controller) ClusterID() string { return c.clusterID }

// Image is the latest applied metadata image. Never nil.
func (c *Controller) Image() *metadata.Image { return c.image.Load() }

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
	for {
		select {
		case fn := <-c.reqc:
			fn()
		case <-c.stopc:
			return
		}
	}
}

// do runs fn on the event loop and waits for it.
func (c *Controller) do(ctx context.Context, fn func()) error {
	if !c.started.Load() || c.node == nil {
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

// propose appends recs as one atomic batch and waits until it is applied.
func (c *Controller) propose(ctx context.Context, recs []metadata.Record) error {
	if len(recs) == 0 {
		return nil
	}
	// Wait for the outcome even if the caller gives up: the next request
	// must validate against an image that includes this batch if it
	// commits. A one-voter quorum decides within a few fsyncs; Close ends
	// the wait.
	_, err := c.node.Propose(context.WithoutCancel(ctx), metadata.EncodeBatch(recs))
	switch {
	case err == nil:
		return nil
	case errors.Is(err, raft.ErrNotLeader), errors.Is(err, raft.ErrProposalDropped), errors.Is(err, raft.ErrStopped):
		return fmt.Errorf("%w: %v", ErrNotController, err)
	}
	return err
}
