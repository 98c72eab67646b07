package controller

import (
	"context"
	"time"

	"github.com/strom-project/strom/internal/metadata"
)

// activeState is what only the active controller keeps, in memory: it is
// rebuilt from scratch whenever this node becomes active (a new raft term),
// as Kafka's controller does on failover. Loop goroutine only.
type activeState struct {
	term     uint64
	sessions map[int32]*brokerSession
	// nextRebalance is when the next auto leader rebalance is due.
	nextRebalance time.Time
}

// brokerSession is the active controller's view of one registered broker.
type brokerSession struct {
	lastContact time.Time
	// metadataOffset is the offset the broker reported in its last
	// heartbeat to this controller; 0 until then.
	metadataOffset uint64
	// shutdownOffset is the image offset once the broker's controlled
	// shutdown began: it may stop when every active broker has caught up
	// with it (they know the partitions' new leaders).
	shutdownOffset uint64
}

// checkActive notices leadership changes: it returns whether this node is
// the active controller, and starts a fresh activeState when it has become
// active (again) since the last call. Loop goroutine only.
func (c *Controller) checkActive() bool {
	if !c.node.IsActive() {
		if c.act != nil {
			c.log.Info("no longer the active controller", "leader", c.node.Leader())
			c.act = nil
		}
		return false
	}
	if term := c.node.Term(); c.act == nil || c.act.term != term {
		c.becomeActive(term)
	}
	return true
}

// becomeActive resets the in-memory state. Every registered broker gets a
// fresh session (a grace period: the previous controller's heartbeat times
// are unknown here), and brokers already in controlled shutdown wait for
// the other brokers to catch up with the current offset.
func (c *Controller) becomeActive(term uint64) {
	im := c.Image()
	now := c.opts.Now()
	c.act = &activeState{term: term, sessions: map[int32]*brokerSession{},
		nextRebalance: now.Add(c.opts.LeaderImbalanceCheckInterval)}
	for id := range im.Brokers {
		c.act.sessions[id] = &brokerSession{lastContact: now, shutdownOffset: im.Offset}
	}
	c.log.Info("became the active controller", "term", term, "offset", im.Offset, "brokers", len(im.Brokers))
	c.ensureClusterID(context.Background())
}

// session returns the session of broker id, starting one now if there is
// none (a broker this controller has not heard of yet gets a grace period).
func (c *Controller) session(id int32) *brokerSession {
	s := c.act.sessions[id]
	if s == nil {
		s = &brokerSession{lastContact: c.opts.Now()}
		c.act.sessions[id] = s
	}
	return s
}

// ensureClusterID commits the cluster id if the log has none: the first
// active controller of a new cluster decides it.
func (c *Controller) ensureClusterID(ctx context.Context) {
	if c.Image().ClusterID != "" {
		return
	}
	recs := append([]metadata.Record{&metadata.ClusterIDRecord{ClusterID: c.newClusterID}}, c.bootstrap...)
	if _, err := c.propose(ctx, recs); err != nil {
		c.log.Warn("could not commit the cluster id; will retry", "err", err)
		return
	}
	c.log.Info("formatted the metadata log", "cluster.id", c.newClusterID, "bootstrap.records", len(c.bootstrap))
}

// periodic is the loop's timed work: notice leadership changes, fence
// brokers whose session expired, rebalance leaders. Tests call it through
// tick with a fake clock.
func (c *Controller) periodic() {
	if !c.checkActive() {
		return
	}
	ctx := context.Background()
	// Each step may propose, and a proposal that fails for lost
	// leadership clears c.act: the next step must not run then (found by
	// test/fault: a paused controller resumed, fenced a broker, lost
	// leadership mid-way and crashed in the rebalance step).
	for _, step := range []func(context.Context){c.ensureClusterID, c.fenceStaleBrokers, c.maybeRebalance} {
		if c.act == nil {
			return
		}
		step(ctx)
	}
}
