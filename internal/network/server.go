package network

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/strom-project/strom/internal/wire"
)

// Options configure a Server.
type Options struct {
	Registry            *wire.Registry
	MaxRequestBytes     int32         // socket.request.max.bytes
	MaxConnectionsPerIP int           // max.connections.per.ip; 0 = unlimited
	IdleTimeout         time.Duration // connections.max.idle.ms; 0 = none
	Logger              *slog.Logger
}

// Server owns the listeners and live connections. Its methods are safe for
// concurrent use.
type Server struct {
	opts   Options
	ctx    context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	listeners []net.Listener
	conns     map[*conn]struct{}
	perIP     map[string]int
	closed    bool
	wg        sync.WaitGroup
}

// New returns a server that serves nothing until Listen is called.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{opts: opts, ctx: ctx, cancel: cancel, conns: map[*conn]struct{}{}, perIP: map[string]int{}}
}

// Listen binds addr for the named listener and starts accepting.
func (s *Server) Listen(name, addr string) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listener %s: %w", name, err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return nil, errors.New("network: server closed")
	}
	s.listeners = append(s.listeners, ln)
	s.wg.Add(1)
	s.mu.Unlock()
	go s.accept(name, ln)
	return ln.Addr(), nil
}

func (s *Server) accept(name string, ln net.Listener) {
	defer s.wg.Done()
	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Transient (EMFILE and friends): back off instead of spinning.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.opts.Logger.Warn("accept failed", "listener", name, "err", err, "retry_in", backoff)
			select {
			case <-time.After(backoff):
			case <-s.ctx.Done():
				return
			}
			continue
		}
		backoff = 0
		c, ok := s.admit(name, nc)
		if !ok {
			nc.Close()
			continue
		}
		go c.serve()
	}
}

// admit registers a connection unless the server is closing or the peer's
// IP is at max.connections.per.ip.
func (s *Server) admit(name string, nc net.Conn) (*conn, bool) {
	ip := remoteIP(nc)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, false
	}
	if s.opts.MaxConnectionsPerIP > 0 && s.perIP[ip] >= s.opts.MaxConnectionsPerIP {
		s.opts.Logger.Warn("connection refused: max.connections.per.ip reached", "ip", ip)
		return nil, false
	}
	s.perIP[ip]++
	c := newConn(s, name, nc, ip)
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return c, true
}

func (s *Server) release(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	if s.perIP[c.ip]--; s.perIP[c.ip] <= 0 {
		delete(s.perIP, c.ip)
	}
	s.mu.Unlock()
	s.wg.Done()
}

// Close stops accepting, closes every connection and waits for their loops.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	for _, ln := range s.listeners {
		ln.Close()
	}
	for c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
}

func remoteIP(nc net.Conn) string {
	if a, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	return nc.RemoteAddr().String()
}
