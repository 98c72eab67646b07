package raft

import (
	"context"
	"fmt"
	"slices"
)

// TransferLeadership hands leadership from this node (the leader) to voter
// to, and returns once this node has seen to become the leader. raft stops
// accepting proposals while the transfer runs and abandons it after an
// election timeout if to does not catch up and win; bound the wait with
// ctx. It returns ErrNotLeader on a follower.
func (n *Node) TransferLeadership(ctx context.Context, to int32) error {
	errc := make(chan error, 1)
	select {
	case n.callc <- func() { errc <- n.transferLeader(to) }:
	case <-n.done:
		return n.err
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := <-errc; err != nil { // the loop answers at once
		return err
	}
	for {
		changed := n.watch.next()
		if n.Leader() == to {
			return nil
		}
		select {
		case <-changed:
		case <-n.done:
			return n.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// transferLeader runs on the loop.
func (n *Node) transferLeader(to int32) error {
	if !n.isLeader {
		return ErrNotLeader
	}
	if to == n.cfg.NodeID {
		return nil
	}
	if to < 0 || !slices.Contains(n.confState.GetVoters(), RaftID(to)) {
		return fmt.Errorf("raft: node %d is not a voter", to)
	}
	n.log.Info("transferring metadata leadership", "to", to, "term", n.hs.GetTerm())
	n.rn.TransferLeader(RaftID(to))
	return nil
}

// resignation is a stopping leader handing over leadership (loop-owned).
type resignation struct {
	ticks int // left before the loop exits regardless
}

// startResign begins handing leadership to the most caught-up live
// follower when a leader of a multi-voter group is stopped, as Kafka's
// active controller resigns on shutdown: the group then elects at once
// instead of after an election timeout. It reports whether it did.
func (n *Node) startResign() bool {
	if !n.isLeader {
		return false
	}
	self := RaftID(n.cfg.NodeID)
	var best, bestMatch uint64
	for id, pr := range n.rn.Status().Progress {
		if id == self || pr.IsLearner || !pr.RecentActive {
			continue
		}
		if best == 0 || pr.Match > bestMatch || (pr.Match == bestMatch && id < best) {
			best, bestMatch = id, pr.Match
		}
	}
	if best == 0 {
		return false // sole voter, or nobody alive to take over
	}
	n.log.Info("stopping: handing over metadata leadership", "to", NodeID(best))
	n.rn.TransferLeader(best)
	n.resign = &resignation{ticks: 2 * n.cfg.ElectionTick}
	return true
}

// resigned reports whether a stopping node may exit: another node leads
// (its election needed our vote, which has then been sent), or time is up.
func (n *Node) resigned() bool {
	r := n.resign
	if r.ticks <= 0 {
		return true
	}
	lead := n.leader.Load()
	return !n.isLeader && lead >= 0 && lead != n.cfg.NodeID
}
