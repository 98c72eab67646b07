package raft

import (
	"encoding/binary"
	"sync"

	"go.etcd.io/raft/v3"
)

// When is a node's state machine current?
//
// The leader: once it has applied the first entry of its own term (the
// empty entry raft appends on winning). Committing it commits everything
// before it, so the state includes every entry any earlier leader
// committed. That is IsActive, re-earned in every term.
//
// A follower: it cannot tell from its own log, whose commit index lags the
// leader's, and a new leader may not know the true commit index either
// until its first entry commits. So the follower asks with raft's
// ReadIndex: the leader answers with its commit index only after it
// committed an entry of its term and a quorum confirmed it is still the
// leader. Once the follower has applied that far it is ready.

// readIndex is a follower's outstanding catch-up question (loop-owned).
type readIndex struct {
	sent   uint64 // ids of requests sent so far (the context of each is its id)
	seq    uint64 // id of the outstanding request; 0: none
	age    int    // ticks it has been outstanding
	target uint64 // the leader's answer; 0: none yet
}

// requestRead asks the leader for a read index if a follower still needs
// one, reporting whether it did (the request is a new Ready to drain).
func (n *Node) requestRead() bool {
	if n.readyDone || n.isLeader || n.leader.Load() < 0 || n.read.seq != 0 || n.read.target != 0 {
		return false
	}
	n.read.sent++
	n.read.seq, n.read.age = n.read.sent, 0
	n.rn.ReadIndex(binary.BigEndian.AppendUint64(nil, n.read.seq))
	return true
}

// readTick gives up on a request that was lost (the leader changed, or
// the message was dropped), so the next drain asks again.
func (n *Node) readTick() {
	if n.read.seq == 0 {
		return
	}
	if n.read.age++; n.read.age > 2*n.cfg.ElectionTick {
		n.read.seq = 0
	}
}

func (n *Node) readStates(rss []raft.ReadState) {
	for _, rs := range rss {
		if len(rs.RequestCtx) != 8 {
			continue
		}
		// Any answer to any of our requests is an index some leader had
		// committed, so a late one is as good as the latest.
		if id := binary.BigEndian.Uint64(rs.RequestCtx); id == 0 || id > n.read.sent {
			continue
		}
		n.read.target = max(n.read.target, rs.Index)
		n.read.seq = 0
	}
}

// noteApplied re-evaluates IsActive and WaitReady after the state machine
// applied up to an entry of term.
func (n *Node) noteApplied(term uint64) {
	if n.isLeader && !n.active.Load() && term == n.hs.GetTerm() {
		n.active.Store(true)
		n.log.Info("metadata leader active", "term", term, "applied", n.applied.Load())
	}
	n.checkReady()
}

func (n *Node) checkReady() {
	if n.readyDone {
		return
	}
	if n.isLeader {
		if !n.active.Load() {
			return
		}
	} else if n.leader.Load() < 0 || n.read.target == 0 || n.applied.Load() < n.read.target {
		return
	}
	n.readyDone = true
	close(n.ready)
}

// leaderWatch lets goroutines wait for the next leader change.
type leaderWatch struct {
	mu sync.Mutex
	c  chan struct{} // closed at the next change
}

func (w *leaderWatch) init() { w.c = make(chan struct{}) }

func (w *leaderWatch) next() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.c
}

func (w *leaderWatch) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	close(w.c)
	w.c = make(chan struct{})
}
