package raft

import (
	"slices"
	"sync"

	"go.etcd.io/raft/v3"
)

// feedback carries send outcomes from the transport's goroutines to the
// loop, which alone may touch the RawNode. Adding never blocks (the
// transport calls it from Send, on the loop itself) and never loses an
// outcome: a lost snapshot failure would leave raft waiting on that
// follower forever.
type feedback struct {
	mu      sync.Mutex
	pending []sendOutcome
	c       chan struct{} // capacity 1: a token means pending may be non-empty
}

type sendOutcome struct {
	to        uint64 // raft id
	snapshot  bool   // the outcome of a MsgSnap; else a lost message
	delivered bool   // for a snapshot: written to the peer
}

func (f *feedback) init() { f.c = make(chan struct{}, 1) }

func (f *feedback) add(o sendOutcome) {
	f.mu.Lock()
	// One pending unreachable report per peer says it all.
	dup := !o.snapshot && slices.Contains(f.pending, o)
	if !dup {
		f.pending = append(f.pending, o)
	}
	f.mu.Unlock()
	if !dup {
		select {
		case f.c <- struct{}{}:
		default:
		}
	}
}

func (f *feedback) take() []sendOutcome {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.pending
	f.pending = nil
	return p
}

// ReportUnreachable tells raft that a message to peer (a Kafka node id) was
// lost, so it stops streaming appends and probes instead. For Transports;
// it never blocks.
func (n *Node) ReportUnreachable(peer int32) {
	n.fb.add(sendOutcome{to: RaftID(peer)})
}

// ReportSnapshot tells raft whether a MsgSnap to peer was delivered. A
// Transport must report every MsgSnap it is given, or raft never sends that
// follower anything again. It never blocks.
func (n *Node) ReportSnapshot(peer int32, delivered bool) {
	n.fb.add(sendOutcome{to: RaftID(peer), snapshot: true, delivered: delivered})
}

// applyFeedback runs on the loop.
func (n *Node) applyFeedback() {
	for _, o := range n.fb.take() {
		switch {
		case !o.snapshot:
			n.rn.ReportUnreachable(o.to)
		case o.delivered:
			n.rn.ReportSnapshot(o.to, raft.SnapshotFinish)
		default:
			n.log.Warn("metadata snapshot not delivered", "peer", NodeID(o.to))
			n.rn.ReportSnapshot(o.to, raft.SnapshotFailure)
		}
	}
}
