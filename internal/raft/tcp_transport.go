package raft

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
)

// helloTimeout bounds how long an inbound connection may take to say who
// it is.
const helloTimeout = 10 * time.Second

// TCPTransport carries raft messages between the voters over TCP.
//
// Outbound, every peer has one connection, dialled on its first message,
// with a bounded queue and a writer goroutine (peer.go): Send never blocks
// the raft loop. Inbound connections are accepted by the CONTROLLER
// listener, which reads RaftPreface and hands them to ServeConn; they are
// read-only. Failed sends are reported to the Node (ReportUnreachable,
// ReportSnapshot) so raft backs off and resends.
//
// All methods are safe for concurrent use.
type TCPTransport struct {
	self   int32
	log    *slog.Logger
	peers  map[int32]*peer // by Kafka node id; fixed at construction
	node   atomic.Pointer[Node]
	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // writer goroutines and ServeConn calls

	// observer: this node is not a voter; it dials every voter and reads
	// their messages on the same connections.
	observer bool
	tls      *tls.Config // dialling peers; nil: plain TCP

	mu        sync.Mutex
	closed    bool
	inbound   map[net.Conn]int32     // open inbound connections → sender (-1 before hello)
	latest    map[int32]net.Conn     // the newest inbound connection of each sender
	observers map[int32]*observerOut // connected observers, by node id
}

// TCPOptions are NewTCPTransport's optional settings.
type TCPOptions struct {
	// Observer makes this the transport of a node outside the voters (a
	// broker-only node, a raft learner): it keeps a connection open to
	// every voter, and the voters send to it over those connections, so
	// a broker need not accept raft connections (KRaft's direction:
	// brokers reach controllers, never the reverse).
	Observer bool
	// TLS, when set, is how peers are dialled (an SSL CONTROLLER
	// listener); the listener's own TLS serves the other direction.
	TLS *tls.Config
}

// NewTCPTransport returns the transport of node self. peers maps the Kafka
// node id of every other voter to the host:port of its CONTROLLER listener
// (an entry for self is ignored). Nodes outside peers that connect are
// observers (raft learners), answered on their own connections.
func NewTCPTransport(self int32, peers map[int32]string, logger *slog.Logger, opts ...TCPOptions) *TCPTransport {
	var o TCPOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if logger == nil {
		logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	t := &TCPTransport{
		self: self, log: logger.With("component", "raft-transport"),
		peers: map[int32]*peer{}, ctx: ctx, cancel: cancel,
		inbound: map[net.Conn]int32{}, latest: map[int32]net.Conn{},
		observer: o.Observer, observers: map[int32]*observerOut{}, tls: o.TLS,
	}
	for id, addr := range peers {
		if id == self {
			continue
		}
		RaftID(id) // panics on a negative id: config validation let one through
		p := newPeer(t, id, addr)
		t.peers[id] = p
		t.wg.Add(1)
		go p.run()
	}
	return t
}

// SetNode sets the node that inbound messages are stepped into and that
// send failures are reported to. Set it before traffic flows: messages that
// arrive earlier are dropped (raft resends).
func (t *TCPTransport) SetNode(n *Node) { t.node.Store(n) }

// Send queues msgs for their peers. It never blocks: a full queue drops the
// message and reports the peer unreachable, as raft expects of a lossy
// network.
func (t *TCPTransport) Send(msgs []*pb.Message) {
	if t.ctx.Err() != nil {
		return
	}
	for _, m := range msgs {
		to := NodeID(m.GetTo())
		if p := t.peers[to]; p != nil {
			p.enqueue(m)
		} else if !t.sendObserver(to, m) {
			t.log.Debug("dropping raft message for unknown peer", "to", to, "type", m.GetType())
		}
	}
}

// ServeConn reads raft messages from an inbound connection whose 4-byte
// preface the caller has already read and checked, and steps them into the
// node. It returns when the connection ends, is bad, or the transport is
// closed; it closes c.
func (t *TCPTransport) ServeConn(c net.Conn) {
	defer c.Close()
	if !t.track(c) {
		return
	}
	defer t.untrack(c)
	from, err := t.hello(c)
	if err != nil {
		t.log.Warn("rejected raft connection", "remote", c.RemoteAddr(), "err", err)
		return
	}
	t.log.Debug("raft connection accepted", "from", from, "remote", c.RemoteAddr())
	if t.peers[from] == nil {
		// Not a voter: an observer, which reads our messages on this
		// connection (tcp_observer.go).
		stop := t.serveObserver(from, c)
		defer stop()
	}
	t.readMessages(c, from)
}

// readMessages steps the raft messages arriving on c from node from into
// the node, until the connection ends or carries something bad.
func (t *TCPTransport) readMessages(c net.Conn, from int32) {
	r := bufio.NewReaderSize(c, 64<<10)
	warned := false
	for {
		m, err := readMessage(r)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && t.ctx.Err() == nil {
				t.log.Warn("raft connection failed", "from", from, "err", err)
			}
			return
		}
		if err := checkMessage(m, t.self, from); err != nil {
			if !errors.Is(err, errMisrouted) {
				t.log.Warn("closing raft connection after a bad message", "from", from, "err", err)
				return
			}
			if !warned {
				// The sender's voters list maps an address to the wrong
				// node id; say so once per connection, not per heartbeat.
				t.log.Warn("dropping raft messages meant for another node", "from", from, "err", err)
				warned = true
			}
			continue
		}
		n := t.node.Load()
		if n == nil {
			continue
		}
		if err := n.Step(t.ctx, m); err != nil {
			return // node stopped or transport closed
		}
	}
}

// hello reads the sender's node id (the preface is already consumed) and
// registers c as its newest connection.
func (t *TCPTransport) hello(c net.Conn) (int32, error) {
	c.SetReadDeadline(time.Now().Add(helloTimeout))
	from, err := readHello(c)
	if err != nil {
		return 0, err
	}
	if t.observer {
		return 0, fmt.Errorf("raft: hello from node %d to observer %d, which accepts no raft connections", from, t.self)
	}
	if from == t.self {
		return 0, fmt.Errorf("raft: hello from node %d, this node's own id", from)
	}
	c.SetReadDeadline(time.Time{})
	t.mu.Lock()
	defer t.mu.Unlock()
	if old := t.latest[from]; old != nil {
		// A sender has one connection to us; an older one is half-open
		// (the sender restarted or redialled).
		old.Close()
	}
	t.latest[from] = c
	t.inbound[c] = from
	return from, nil
}

// track registers an inbound connection so Close can end it; false if the
// transport is closed.
func (t *TCPTransport) track(c net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.inbound[c] = -1
	t.wg.Add(1)
	return true
}

func (t *TCPTransport) untrack(c net.Conn) {
	t.mu.Lock()
	if from, ok := t.inbound[c]; ok && t.latest[from] == c {
		delete(t.latest, from)
	}
	delete(t.inbound, c)
	t.mu.Unlock()
	t.wg.Done()
}

// Close closes every connection and waits for the transport's goroutines
// and ServeConn calls to return. Queued messages are dropped. Stop the Node
// first: a node still running would find its peers unreachable.
func (t *TCPTransport) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	for c := range t.inbound {
		c.Close()
	}
	t.mu.Unlock()
	t.cancel()
	t.wg.Wait()
	return nil
}

// reportUnreachable and reportSnapshot hand send outcomes to the node, if
// there is one yet.
func (t *TCPTransport) reportUnreachable(to int32) {
	if n := t.node.Load(); n != nil {
		n.ReportUnreachable(to)
	}
}

func (t *TCPTransport) reportSnapshot(to int32, delivered bool) {
	if n := t.node.Load(); n != nil {
		n.ReportSnapshot(to, delivered)
	}
}
