package network

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/wire"
)

// Options configure a Server.
type Options struct {
	Registry            *wire.Registry
	MaxRequestBytes     int32         // socket.request.max.bytes
	MaxConnectionsPerIP int           // max.connections.per.ip; 0 = unlimited
	IdleTimeout         time.Duration // connections.max.idle.ms; 0 = none
	Logger              *slog.Logger
	// Observer, if set, sees every request once it is answered (metrics).
	Observer Observer
}

// Observer sees each request a connection serves: its API key, the
// response written (nil when none is sent), a non-nil err when the request
// closed the connection instead, and the time from reading the request to
// writing its response (an acks=all Produce's wait included). It runs on
// the connection's goroutine, so it must be cheap and safe for concurrent
// use; the response must not be kept.
type Observer interface {
	Observe(key int16, resp kmsg.Response, err error, elapsed time.Duration)
}

// Server owns the listeners and live connections. Its methods are safe for
// concurrent use.
type Server struct {
	opts   Options
	ctx    context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	listeners map[net.Listener]string // → listener name
	conns     map[*conn]struct{}
	perIP     map[string]int
	closed    bool
	wg        sync.WaitGroup

	observer atomic.Pointer[observerRef] // nil: no Observer
}

// New returns a server that serves nothing until Listen is called.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{opts: opts, ctx: ctx, cancel: cancel, listeners: map[net.Listener]string{}, conns: map[*conn]struct{}{}, perIP: map[string]int{}}
	if opts.Observer != nil {
		s.SetObserver(opts.Observer)
	}
	return s
}

// SetObserver replaces Options.Observer; requests already being served
// when it is set are not observed.
func (s *Server) SetObserver(o Observer) { s.observer.Store(&observerRef{o}) }

// observerRef boxes an Observer for an atomic pointer.
type observerRef struct{ o Observer }

// Registry is the registry listeners serve by default.
func (s *Server) Registry() *wire.Registry { return s.opts.Registry }

// ListenOptions vary one listener from the server's defaults.
type ListenOptions struct {
	// Registry serves this listener's requests; nil: Options.Registry.
	// The CONTROLLER listener serves the controller's APIs only.
	Registry *wire.Registry
	// Takeover hands a connection whose first four bytes are Preface to
	// Serve instead of the Kafka request loop. The metadata quorum's raft
	// transport shares the CONTROLLER listener this way; Preface is
	// negative as an int32, so it can never be a Kafka request size.
	Takeover *Takeover
	// TLS makes this an SSL (or SASL_SSL) listener.
	TLS *tls.Config
	// SASL makes clients authenticate first (SASL_PLAINTEXT, SASL_SSL).
	SASL *SASL
	// CertPrincipal names the principal of a TLS client certificate;
	// without it (or a certificate) the principal is User:ANONYMOUS.
	CertPrincipal CertPrincipal
}

// Takeover is a non-Kafka protocol sharing a listener.
type Takeover struct {
	Preface uint32
	// Serve owns the connection (reads continue after the preface) and
	// returns when it is done; the server closes it afterwards.
	Serve func(net.Conn)
}

// Listen binds addr for the named listener and starts accepting.
func (s *Server) Listen(name, addr string) (net.Addr, error) {
	return s.ListenWith(name, addr, ListenOptions{})
}

// ListenWith is Listen with per-listener options.
func (s *Server) ListenWith(name, addr string, lo ListenOptions) (net.Addr, error) {
	if lo.Registry == nil {
		lo.Registry = s.opts.Registry
	}
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
	s.listeners[ln] = name
	s.wg.Add(1)
	s.mu.Unlock()
	go s.accept(name, ln, lo)
	return ln.Addr(), nil
}

func (s *Server) accept(name string, ln net.Listener, lo ListenOptions) {
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
		if lo.TLS != nil {
			nc = tls.Server(nc, lo.TLS) // the handshake runs on the connection's goroutine
		}
		c, ok := s.admit(name, nc, lo)
		if !ok {
			nc.Close()
			continue
		}
		go c.serve()
	}
}

// admit registers a connection unless the server is closing or the peer's
// IP is at max.connections.per.ip.
func (s *Server) admit(name string, nc net.Conn, lo ListenOptions) (*conn, bool) {
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
	c := newConn(s, name, nc, ip, lo)
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

// CloseExcept closes the listeners not named in keep, and their
// connections; the server keeps serving the others until Close.
func (s *Server) CloseExcept(keep ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ln, name := range s.listeners {
		if !slices.Contains(keep, name) {
			ln.Close()
			delete(s.listeners, ln)
		}
	}
	for c := range s.conns {
		if !slices.Contains(keep, c.info.Listener) {
			c.nc.Close()
		}
	}
}

// Close stops accepting, closes every connection and waits for their loops.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	for ln := range s.listeners {
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
