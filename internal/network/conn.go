package network

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"sync"
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

// conn is one client connection: serve runs the read loop on the calling
// goroutine and the write loop on another.
type conn struct {
	srv  *Server
	nc   net.Conn
	ip   string
	info wire.Conn
	out  chan []byte // encoded response frames, in request order
	ctx  context.Context
	stop context.CancelFunc
}

func newConn(s *Server, listener string, nc net.Conn, ip string) *conn {
	ctx, cancel := context.WithCancel(s.ctx)
	return &conn{
		srv: s, nc: nc, ip: ip,
		info: wire.Conn{Listener: listener, RemoteAddr: nc.RemoteAddr(), Principal: "User:ANONYMOUS"},
		out:  make(chan []byte, 64),
		ctx:  ctx, stop: cancel,
	}
}

func (c *conn) serve() {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); c.writeLoop() }()
	err := c.readLoop()
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && c.srv.ctx.Err() == nil {
		c.srv.opts.Logger.Debug("closing connection", "remote", c.nc.RemoteAddr(), "err", err)
	}
	close(c.out) // the write loop drains what is queued, then exits
	wg.Wait()
	c.stop()
	c.nc.Close()
	c.srv.release(c)
}

func (c *conn) readLoop() error {
	br := bufio.NewReaderSize(c.nc, 64<<10)
	for {
		if c.srv.opts.IdleTimeout > 0 {
			c.nc.SetReadDeadline(time.Now().Add(c.srv.opts.IdleTimeout))
		}
		frame, err := wire.ReadFrame(br, c.srv.opts.MaxRequestBytes, nil)
		if err != nil {
			return err
		}
		resp, h, err := c.handle(frame)
		if err != nil {
			return err
		}
		if resp == nil {
			continue
		}
		select {
		case c.out <- wire.AppendResponse(make([]byte, 0, 256), h, resp):
		case <-c.ctx.Done():
			return c.ctx.Err()
		}
	}
}

// handle parses and serves one frame. A non-nil error closes the connection.
func (c *conn) handle(frame []byte) (kmsg.Response, wire.Header, error) {
	h, body, err := wire.ParseHeader(frame)
	if err != nil {
		return nil, h, err
	}
	api := c.srv.opts.Registry.Lookup(h.Key)
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
	req, err := wire.DecodeBody(h, body)
	if err != nil {
		return nil, h, err
	}
	resp, err := api.Handle(c.ctx, &c.info, h, req)
	return resp, h, err
}

func (c *conn) writeLoop() {
	bw := bufio.NewWriterSize(c.nc, 64<<10)
	var failed bool
	for frame := range c.out {
		if failed {
			continue // drain so the read loop never blocks on a dead peer
		}
		if _, err := bw.Write(frame); err != nil {
			failed = true
			c.stop()
			c.nc.Close()
			continue
		}
		if len(c.out) == 0 {
			if err := bw.Flush(); err != nil {
				failed = true
				c.stop()
				c.nc.Close()
			}
		}
	}
	if !failed {
		bw.Flush()
	}
}
