package raft

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"

	pb "go.etcd.io/raft/v3/raftpb"
)

// Observers. A node outside the voters (a broker-only node) follows the
// metadata log as a raft learner: it gets every entry but never votes or
// counts towards a commit. Its transport keeps a connection open to every
// voter (TCPOptions.Observer); the leader makes each connected observer a
// learner, one configuration change at a time, so an observer joins with no
// operator step, as a KRaft observer does by fetching. RemoveLearner takes
// one out (UnregisterBroker); if it is still connected it joins again.

// ErrNotLearner is returned by RemoveLearner for a node that is not a
// learner of the quorum (a voter, or unknown).
var ErrNotLearner = errors.New("raft: not a learner of the metadata quorum")

// observerSource is implemented by transports that know which observers are
// connected (TCPTransport).
type observerSource interface{ ConnectedObservers() []int32 }

// addLearners runs on the loop at every tick. Raft allows one pending
// configuration change; the leader proposes the next once the last applied.
func (n *Node) addLearners() {
	src, ok := n.cfg.Transport.(observerSource)
	if !ok || !n.isLeader || !n.active.Load() || n.resign != nil || n.confPending > n.applied.Load() {
		return
	}
	for _, id := range src.ConnectedObservers() {
		if isMember(n.confState, RaftID(id)) {
			continue
		}
		if err := n.proposeConfChange(pb.ConfChangeAddLearnerNode, id); err != nil {
			n.log.Warn("cannot add metadata observer", "observer", id, "err", err)
			return
		}
		n.log.Info("adding metadata observer as a raft learner", "observer", id)
		return
	}
}

// proposeConfChange proposes one single-node configuration change and
// records its index as the pending one. It runs on the loop.
func (n *Node) proposeConfChange(typ pb.ConfChangeType, id int32) error {
	cc := &pb.ConfChangeV2{Changes: []*pb.ConfChangeSingle{{Type: typ.Enum(), NodeId: new(RaftID(id))}}}
	if err := n.rn.ProposeConfChange(cc); err != nil {
		return fmt.Errorf("%w: %v", ErrProposalDropped, err)
	}
	n.last++
	n.confPending = n.last
	return nil
}

// RemoveLearner removes observer id from the quorum's configuration and
// returns once that is applied. Only the leader can.
func (n *Node) RemoveLearner(ctx context.Context, id int32) error {
	p := &proposal{done: make(chan error, 1)}
	call := func() {
		switch {
		case !n.isLeader:
			p.done <- ErrNotLeader
		case !slices.Contains(n.confState.GetLearners(), RaftID(id)):
			p.done <- fmt.Errorf("%w: node %d", ErrNotLearner, id)
		case n.confPending > n.applied.Load():
			p.done <- fmt.Errorf("%w: another configuration change is pending", ErrProposalDropped)
		default:
			if err := n.proposeConfChange(pb.ConfChangeRemoveNode, id); err != nil {
				p.done <- err
				return
			}
			p.index, p.term = n.last, n.hs.GetTerm()
			n.waiters[p.index] = p
		}
	}
	select {
	case n.callc <- call:
	case <-n.done:
		return n.err
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-p.done:
		return err
	case <-n.done:
		return n.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// isMember reports whether raft id is a voter or learner in cs.
func isMember(cs *pb.ConfState, id uint64) bool {
	return slices.Contains(cs.GetVoters(), id) || slices.Contains(cs.GetLearners(), id) ||
		slices.Contains(cs.GetVotersOutgoing(), id) || slices.Contains(cs.GetLearnersNext(), id)
}

// decodeConfChange decodes a committed configuration change entry.
func decodeConfChange(e *pb.Entry) (pb.ConfChangeI, error) {
	switch e.GetType() {
	case pb.EntryConfChange:
		var cc pb.ConfChange
		if err := proto.Unmarshal(e.GetData(), &cc); err != nil {
			return nil, err
		}
		return &cc, nil
	default:
		var cc pb.ConfChangeV2
		if err := proto.Unmarshal(e.GetData(), &cc); err != nil {
			return nil, err
		}
		return &cc, nil
	}
}
