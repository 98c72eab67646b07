package raft

import (
	"net"
	"slices"

	pb "go.etcd.io/raft/v3/raftpb"
)

// observerOut is a voter's outbound side to one observer: a bounded queue
// written to the connection the observer opened. There is no dialling: when
// the observer's connection ends, messages for it are dropped (and reported
// unreachable) until it reconnects.
type observerOut struct {
	t    *TCPTransport
	id   int32
	q    chan *pb.Message
	done chan struct{} // closed when the connection ended
}

// serveObserver starts writing to observer id over c, replacing an older
// connection of the same observer. The returned stop ends the writer; call
// it when c ends.
func (t *TCPTransport) serveObserver(id int32, c net.Conn) (stop func()) {
	o := &observerOut{t: t, id: id, q: make(chan *pb.Message, peerQueue), done: make(chan struct{})}
	t.mu.Lock()
	old := t.observers[id]
	t.observers[id] = o
	t.mu.Unlock()
	if old != nil {
		old.end()
	}
	t.log.Info("metadata observer connected", "observer", id, "remote", c.RemoteAddr())
	t.wg.Go(func() {
		if err := writeMessages(t.ctx, c, nil, nil, o.q, o.done, o); err != nil && t.ctx.Err() == nil {
			c.Close() // the reader sees it and ends the connection
		}
		dropQueued(o.q, o)
	})
	return func() {
		t.mu.Lock()
		if t.observers[id] == o {
			delete(t.observers, id)
		}
		t.mu.Unlock()
		o.end()
	}
}

func (o *observerOut) end() {
	select {
	case <-o.done:
	default:
		close(o.done)
	}
}

// sendObserver queues m for a connected observer; false if none is.
func (t *TCPTransport) sendObserver(to int32, m *pb.Message) bool {
	t.mu.Lock()
	o := t.observers[to]
	t.mu.Unlock()
	if o == nil {
		return false
	}
	select {
	case o.q <- m:
	default:
		o.failed([]*pb.Message{m})
		return true
	}
	select {
	case <-o.done:
		// The writer may have drained the queue already: drain it here
		// too, so no snapshot goes unreported.
		dropQueued(o.q, o)
	default:
	}
	return true
}

// ConnectedObservers returns the node ids of the observers connected to
// this voter, sorted. The raft leader adds them as learners (Node).
func (t *TCPTransport) ConnectedObservers() []int32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	ids := make([]int32, 0, len(t.observers))
	for id := range t.observers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (o *observerOut) failed(msgs []*pb.Message) {
	for _, m := range msgs {
		if m != nil && m.GetType() == pb.MsgSnap {
			o.t.reportSnapshot(o.id, false)
		}
	}
	o.t.reportUnreachable(o.id)
}

func (o *observerOut) delivered(msgs []*pb.Message) {
	for _, m := range msgs {
		if m != nil && m.GetType() == pb.MsgSnap {
			o.t.reportSnapshot(o.id, true)
		}
	}
}
