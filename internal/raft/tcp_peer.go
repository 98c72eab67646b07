package raft

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
)

const (
	// peerQueue bounds the messages waiting for one peer; raft itself keeps
	// at most MaxInflightMsgs appends in flight, plus heartbeats and votes.
	peerQueue = 512
	// maxBatch bounds the messages written with one syscall.
	maxBatch     = 64
	dialTimeout  = 2 * time.Second
	writeTimeout = 5 * time.Second
	// writeRate is the slowest throughput tolerated for a big frame (a
	// snapshot) before its write times out.
	writeRate  = 10 << 20 // bytes per second
	minBackoff = 20 * time.Millisecond
	maxBackoff = time.Second
)

// peer is the outbound side of one peer: a bounded queue drained by a
// writer goroutine (run) that owns the connection and redials with capped
// exponential backoff.
type peer struct {
	t    *TCPTransport
	id   int32
	addr string
	q    chan *pb.Message
	down bool // owned by run: the last attempt failed (log transitions once)
}

func newPeer(t *TCPTransport, id int32, addr string) *peer {
	return &peer{t: t, id: id, addr: addr, q: make(chan *pb.Message, peerQueue)}
}

// enqueue runs on the raft loop and must not block.
func (p *peer) enqueue(m *pb.Message) {
	select {
	case p.q <- m:
	default:
		// Slow or unreachable peer: drop, and tell raft so it probes
		// instead of streaming more appends into the void.
		p.failed([]*pb.Message{m})
	}
}

// run is the writer goroutine. A voter dials on the first message, so a
// peer nobody talks to (a follower's fellow follower) costs no connection;
// an observer dials every voter at once and stays connected, because the
// voters answer it on its own connections.
func (p *peer) run() {
	defer p.t.wg.Done()
	ctx := p.t.ctx
	backoff := minBackoff
	for {
		var first *pb.Message
		if !p.t.observer {
			select {
			case first = <-p.q:
			case <-ctx.Done():
				return
			}
		}
		connected, err := p.stream(ctx, first)
		if ctx.Err() != nil {
			return
		}
		if connected {
			backoff = minBackoff
		}
		if !p.down {
			p.t.log.Warn("raft peer unreachable", "peer", p.id, "addr", p.addr, "err", err)
			p.down = true
		} else {
			p.t.log.Debug("raft peer still unreachable", "peer", p.id, "addr", p.addr, "err", err)
		}
		// What queued up meanwhile is stale: raft resends current state
		// after the unreachable report, and a snapshot must be reported
		// failed rather than delivered late.
		p.dropQueued()
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// stream dials, says hello and writes messages until a write fails, the
// connection ends or the transport closes. connected reports whether the
// dial succeeded. first may be nil (an observer connects before it has
// anything to say, so the voters can reach it).
func (p *peer) stream(ctx context.Context, first *pb.Message) (connected bool, err error) {
	c, err := p.dial(ctx)
	if err != nil {
		if first != nil {
			p.failed([]*pb.Message{first})
		}
		return false, err
	}
	defer c.Close()
	defer context.AfterFunc(ctx, func() { c.Close() })()
	ended := make(chan struct{})
	p.t.wg.Go(func() {
		defer close(ended)
		defer c.Close()
		if p.t.observer {
			// A voter answers an observer on the observer's connection
			// (tcp_observer.go): read its messages.
			p.t.readMessages(c, p.id)
			return
		}
		// A voter's receiver never writes. A read returning means it
		// closed or reset the connection: close our side too, so the
		// next write fails at once rather than vanishing into a dead
		// socket.
		var b [1]byte
		c.Read(b[:])
	})
	if p.down {
		p.t.log.Info("raft peer reachable again", "peer", p.id, "addr", p.addr)
		p.down = false
	}
	var batch []*pb.Message
	if first != nil {
		batch = append(batch, first)
	}
	return true, writeMessages(ctx, c, appendHello(nil, p.t.self), batch, p.q, ended, p)
}

// outcomes is where writeMessages reports what it sent or lost.
type outcomes interface {
	failed(msgs []*pb.Message)
	delivered(msgs []*pb.Message)
}

// writeMessages writes buf (a hello, or nothing), then batch, then whatever
// arrives on q, in batches of up to maxBatch messages per write, until a
// write fails, ended is closed or ctx ends.
func writeMessages(ctx context.Context, c net.Conn, buf []byte, batch []*pb.Message, q chan *pb.Message, ended <-chan struct{}, o outcomes) error {
	var err error
	for {
		batch = take(q, batch)
		for i, m := range batch {
			if buf, err = appendMessage(buf, m); err != nil {
				o.failed([]*pb.Message{m})
				batch[i] = nil // reported already
			}
		}
		if len(buf) > 0 {
			c.SetWriteDeadline(time.Now().Add(writeTimeout + time.Duration(len(buf))*time.Second/writeRate))
			if _, err := c.Write(buf); err != nil {
				o.failed(batch)
				return err
			}
		}
		o.delivered(batch)
		clear(batch)
		batch = batch[:0]
		if cap(buf) > 4<<20 {
			buf = nil // do not pin a snapshot-sized buffer
		}
		buf = buf[:0]
		select {
		case m := <-q:
			batch = append(batch, m)
		case <-ended:
			return io.EOF
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// take appends whatever is queued, up to maxBatch messages.
func take(q chan *pb.Message, batch []*pb.Message) []*pb.Message {
	for len(batch) < maxBatch {
		select {
		case m := <-q:
			batch = append(batch, m)
		default:
			return batch
		}
	}
	return batch
}

func (p *peer) dropQueued() { dropQueued(p.q, p) }

func dropQueued(q chan *pb.Message, o outcomes) {
	var dropped []*pb.Message
	for {
		select {
		case m := <-q:
			dropped = append(dropped, m)
			continue
		default:
		}
		break
	}
	if len(dropped) > 0 {
		o.failed(dropped)
	}
}

// failed reports msgs as lost: raft must know about every lost snapshot,
// or it waits for that follower forever.
func (p *peer) failed(msgs []*pb.Message) {
	for _, m := range msgs {
		if m.GetType() == pb.MsgSnap {
			p.t.reportSnapshot(p.id, false)
		}
	}
	p.t.reportUnreachable(p.id)
}

func (p *peer) delivered(msgs []*pb.Message) {
	for _, m := range msgs {
		if m.GetType() == pb.MsgSnap {
			p.t.reportSnapshot(p.id, true)
		}
	}
}

// dial connects to the peer, over TLS when the transport has a config.
func (p *peer) dial(ctx context.Context) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	if p.t.tls == nil {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", p.addr)
	}
	cfg := p.t.tls
	if cfg.ServerName == "" {
		cfg = cfg.Clone()
		cfg.ServerName, _, _ = net.SplitHostPort(p.addr)
	}
	d := tls.Dialer{Config: cfg}
	return d.DialContext(ctx, "tcp", p.addr)
}
