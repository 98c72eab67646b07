package raft

import (
	"context"
	"slices"

	"go.etcd.io/raft/v3"
)

// QuorumStatus is what DescribeQuorum reports about the metadata log.
type QuorumStatus struct {
	Leader    int32  // Kafka node id, -1 if unknown
	Term      uint64 // Kafka's leader epoch of the metadata log
	Committed uint64 // high watermark: the last committed index
	// Voters and Observers (raft learners) with what the leader knows of
	// their logs; only the leader knows, so followers report Match -1.
	Voters, Observers []ReplicaStatus
}

// ReplicaStatus is one member of the quorum.
type ReplicaStatus struct {
	ID    int32
	Match int64 // last index known to be in its log; -1 if unknown
}

// Status reports the quorum as this node sees it.
func (n *Node) Status(ctx context.Context) (QuorumStatus, error) {
	c := make(chan QuorumStatus, 1)
	select {
	case n.callc <- func() { c <- n.status() }:
	case <-n.done:
		return QuorumStatus{}, n.err
	case <-ctx.Done():
		return QuorumStatus{}, ctx.Err()
	}
	return <-c, nil
}

// status runs on the loop.
func (n *Node) status() QuorumStatus {
	st := n.rn.Status()
	qs := QuorumStatus{Leader: NodeID(st.Lead), Term: st.GetTerm(), Committed: st.GetCommit()}
	if st.Lead == raft.None {
		qs.Leader = -1
	}
	match := func(id uint64) int64 {
		if pr, ok := st.Progress[id]; ok {
			return int64(pr.Match)
		}
		if id == st.ID {
			return int64(n.last)
		}
		return -1
	}
	add := func(ids map[uint64]struct{}) []ReplicaStatus {
		var out []ReplicaStatus
		for id := range ids {
			out = append(out, ReplicaStatus{ID: NodeID(id), Match: match(id)})
		}
		slices.SortFunc(out, func(a, b ReplicaStatus) int { return int(a.ID - b.ID) })
		return out
	}
	cfg := st.Config
	qs.Voters = add(cfg.Voters.IDs())
	qs.Observers = add(cfg.Learners)
	return qs
}
