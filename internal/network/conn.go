package network

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/wire"
)

// apiVersionsKey is special-cased: a client may send it at a version newer
// than ours and must get our ranges back (KIP-511).
const apiVersionsKey = 18

// maxNonProduceRequest bounds every request but Produce. kmsg bounds array
// lengths by the bytes left, but a decoded element can be ~50x larger than
// its 1-byte minimum on the wire; only Produce has a reason to be big.
const maxNonProduceRequest = 8 << 20

// maxKeptRequestBuf bounds the per-connection request buffer kept between
// requests; a larger (Produce) frame gets a fresh buffer next time.
const maxKeptRequestBuf = 1 << 20

// conn is one client connection. serve runs everything on one goroutine:
// requests are handled one at a time anyway, so a separate writer would
// only add a hand-off per response. Responses are buffered and flushed
// when no further request is already waiting in the read buffer, so a
// pipelining client gets many responses per write syscall.
type conn struct {
	srv  *Server
	lo   ListenOptions
	nc   net.Conn
	ip   string
	info wire.Conn
	ctx  context.Context
	stop context.CancelFunc
	// mutedUntil: no request is read before then (mute.go).
	mutedUntil time.Time
	sasl       saslState // SASL listeners only (sasl.go)
}

func newConn(s *Server, listener string, nc net.Conn, ip string, lo ListenOptions) *conn {
	ctx, cancel := context.WithCancel(s.ctx)
	return &conn{
		srv: s, lo: lo, nc: nc, ip: ip,
		info: wire.Conn{Listener: listener, RemoteAddr: nc.RemoteAddr(), Principal: "User:ANONYMOUS"},
		ctx:  ctx, stop: cancel,
	}
}

func (c *conn) serve() {
	// loop returns only when the connection is done, always saying why.
	if err := c.loop(); !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && c.srv.ctx.Err() == nil {
		c.srv.opts.Logger.Debug("closing connection", "remote", c.nc.RemoteAddr(), "err", err)
	}
	c.stop()
	c.nc.Close()
	c.srv.release(c)
}

func (c *conn) loop() error {
	if tc, ok := c.nc.(*tls.Conn); ok {
		if err := c.startTLS(tc); err != nil {
			return err
		}
	}
	br := bufio.NewReaderSize(c.nc, 64<<10)
	bw := bufio.NewWriterSize(c.nc, 64<<10)
	if t := c.lo.Takeover; t != nil {
		if took, err := c.takeover(t, br); took || err != nil {
			return err
		}
	}
	var in []byte
	var queue []queued // responses behind a Pending, in request order
	for {
		var err error
		if br.Buffered() == 0 {
			// Nothing more to serve for now: send what is written, then,
			// if responses are queued, wait for the first of them.
			if err := bw.Flush(); err != nil {
				return err
			}
			if len(queue) > 0 {
				if queue, err = c.writeReady(bw, queue, true); err != nil {
					return err
				}
				continue
			}
		} else if queue, err = c.writeReady(bw, queue, false); err != nil {
			return err
		}
		if queue, err = c.waitMuted(bw, queue); err != nil {
			return err
		}
		if c.srv.opts.IdleTimeout > 0 {
			c.nc.SetReadDeadline(time.Now().Add(c.srv.opts.IdleTimeout))
		}
		if c.sasl.raw {
			if err := bw.Flush(); err != nil {
				return err
			}
			if err := c.rawExchange(br, bw); err != nil {
				return err
			}
			continue
		}
		frame, err := wire.ReadFrame(br, c.maxRequest(), in)
		if err != nil {
			return err
		}
		start := c.startTimer()
		resp, h, err := c.handle(frame)
		// The request's memory is free once handled: nothing a handler
		// returns aliases it (kmsg's safe decoding copies strings).
		if in = frame[:0]; cap(in) > maxKeptRequestBuf {
			in = nil
		}
		if err != nil {
			c.observe(h.Key, nil, err, start)
			return err
		}
		if resp == nil {
			c.observe(h.Key, nil, nil, start)
			continue
		}
		if p, ok := resp.(*wire.Pending); ok || len(queue) > 0 {
			queue = append(queue, queued{h: h, resp: resp, pending: p, start: start})
			continue
		}
		c.observe(h.Key, resp, nil, start)
		if ca, ok := resp.(*closeAfter); ok {
			return ca.finish(bw, h)
		}
		c.noteThrottle(resp)
		if err := writeResponse(bw, h, resp); err != nil {
			return err
		}
	}
}

// queued is a response waiting for a Pending ahead of it (or its own).
type queued struct {
	h       wire.Header
	resp    kmsg.Response
	pending *wire.Pending // nil: resp is ready
	start   time.Time     // when the request was read (zero without an Observer)
}

// startTimer reads the clock for the Observer, and only for it.
func (c *conn) startTimer() time.Time {
	if c.srv.observer.Load() == nil {
		return time.Time{}
	}
	return time.Now()
}

// observe reports an answered request to the Observer, if any. A request
// read before the Observer was set (zero start) is not reported.
func (c *conn) observe(key int16, resp kmsg.Response, err error, start time.Time) {
	if r := c.srv.observer.Load(); r != nil && !start.IsZero() {
		r.o.Observe(key, resp, err, time.Since(start))
	}
}

// writeReady writes the queue's ready responses from its head. With wait
// it first waits for the head (nothing else is left to serve); otherwise
// it stops at the first response not ready. It returns what is left.
func (c *conn) writeReady(bw *bufio.Writer, queue []queued, wait bool) ([]queued, error) {
	for len(queue) > 0 {
		q := queue[0]
		if q.pending != nil {
			if wait {
				select {
				case <-q.pending.Done():
				case <-c.ctx.Done():
					return nil, c.ctx.Err()
				}
				wait = false
			}
			select {
			case <-q.pending.Done():
			default:
				return queue, nil
			}
			resp, err := q.pending.Result()
			if err != nil {
				c.observe(q.h.Key, nil, err, q.start)
				return nil, err
			}
			q.resp = resp
		}
		c.observe(q.h.Key, q.resp, nil, q.start)
		if ca, ok := q.resp.(*closeAfter); ok {
			return nil, ca.finish(bw, q.h) // a failed re-authentication behind a pending Produce
		}
		if q.resp != nil {
			c.noteThrottle(q.resp)
			if err := writeResponse(bw, q.h, q.resp); err != nil {
				return nil, err
			}
		}
		queue[0] = queued{}
		queue = queue[1:]
	}
	return queue[:0:0], nil
}

func writeResponse(bw *bufio.Writer, h wire.Header, resp kmsg.Response) error {
	out := wire.GetBuf()
	*out = wire.AppendResponse(*out, h, resp)
	if r, ok := resp.(wire.Releaser); ok {
		r.Release()
	}
	_, err := bw.Write(*out)
	wire.PutBuf(out)
	return err
}

// handle parses and serves one frame. A non-nil error closes the connection.
func (c *conn) handle(frame []byte) (kmsg.Response, wire.Header, error) {
	h, body, err := wire.ParseHeader(frame)
	if err != nil {
		return nil, h, err
	}
	api := c.lo.Registry.Lookup(h.Key)
	if api == nil {
		return nil, h, wire.ErrUnknownKey
	}
	c.info.ClientID = h.ClientID
	if h.Key == apiVersionsKey && h.Version > api.Max {
		// KIP-511: answer in the v0 layout with UNSUPPORTED_VERSION.
		resp, err := api.Handle(c.ctx, &c.info, h, nil)
		h.Version = 0
		return resp, h, err
	}
	if h.Version < api.Min || h.Version > api.Max {
		return nil, h, errors.New("unsupported version " + kmsg.NameForKey(h.Key))
	}
	if h.Key != 0 && len(body) > maxNonProduceRequest {
		return nil, h, errors.New("request too large for " + kmsg.NameForKey(h.Key))
	}
	if err := c.admitRequest(h.Key); err != nil {
		return nil, h, err
	}
	req, err := wire.DecodeBody(h, body)
	if err != nil {
		return nil, h, err
	}
	if resp, handled := c.exchange(h, req); handled {
		return resp, h, nil
	}
	resp, err := api.Handle(c.ctx, &c.info, h, req)
	return resp, h, err
}

// takeover peeks at the first four bytes and, if they are t's preface,
// gives the connection to t.Serve. It reports whether it did.
func (c *conn) takeover(t *Takeover, br *bufio.Reader) (bool, error) {
	if c.srv.opts.IdleTimeout > 0 {
		c.nc.SetReadDeadline(time.Now().Add(c.srv.opts.IdleTimeout))
	}
	first, err := br.Peek(4)
	if err != nil {
		return false, err
	}
	if binary.BigEndian.Uint32(first) != t.Preface {
		return false, nil
	}
	br.Discard(4)
	c.nc.SetReadDeadline(time.Time{})
	t.Serve(bufferedConn{Conn: c.nc, r: br})
	return true, io.EOF
}

// bufferedConn reads through the bufio.Reader that peeked at the preface,
// so bytes it already buffered are not lost.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (b bufferedConn) Read(p []byte) (int, error) { return b.r.Read(p) }
