package network

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/strom-project/strom/internal/wire"
)

// plainSession is RFC 4616 PLAIN over a fixed user list, enough to drive
// the connection's exchange (internal/auth has the real mechanisms).
type plainSession struct {
	users map[string]string
	user  string
}

func (s *plainSession) Step(msg []byte) ([]byte, bool, error) {
	parts := bytes.Split(msg, []byte{0})
	if len(parts) != 3 || s.users[string(parts[1])] != string(parts[2]) {
		return nil, false, errors.New("invalid username or password")
	}
	s.user = string(parts[1])
	return nil, true, nil
}

func (s *plainSession) User() string { return s.user }

// saslServer serves ApiVersions and Metadata on a SASL_PLAINTEXT
// listener; principals records who each Metadata came from.
type saslServer struct {
	addr       string
	mu         sync.Mutex
	principals []string
}

func startSASL(t *testing.T, lifetime time.Duration) *saslServer {
	t.Helper()
	ss := &saslServer{}
	reg := wire.NewRegistry()
	keys := []int16{3, 17, 18, 36}
	reg.Register(wire.API{Key: 18, Min: 0, Max: 4, Handle: func(_ context.Context, _ *wire.Conn, _ wire.Header, req kmsg.Request) (kmsg.Response, error) {
		resp := kmsg.NewPtrApiVersionsResponse()
		if req == nil {
			resp.ErrorCode = kerr.UnsupportedVersion.Code // KIP-511: the client retries at ours
		}
		for _, k := range keys {
			ak := kmsg.NewApiVersionsResponseApiKey()
			ak.ApiKey, ak.MaxVersion = k, map[int16]int16{3: 12, 17: 1, 18: 4, 36: 2}[k]
			resp.ApiKeys = append(resp.ApiKeys, ak)
		}
		return resp, nil
	}})
	reg.Register(wire.API{Key: 3, Min: 0, Max: 12, Handle: func(_ context.Context, c *wire.Conn, _ wire.Header, req kmsg.Request) (kmsg.Response, error) {
		ss.mu.Lock()
		ss.principals = append(ss.principals, c.Principal)
		ss.mu.Unlock()
		return req.ResponseKind(), nil
	}})
	for k, maxV := range map[int16]int16{17: 1, 36: 2} { // what a non-SASL listener would answer
		reg.Register(wire.API{Key: k, Min: 0, Max: maxV, Handle: func(context.Context, *wire.Conn, wire.Header, kmsg.Request) (kmsg.Response, error) {
			return nil, errors.New("the registry must not see the exchange on a SASL listener")
		}})
	}
	s := New(Options{Registry: reg, MaxRequestBytes: 1 << 20})
	t.Cleanup(s.Close)
	users := map[string]string{"alice": "alice-secret"}
	addr, err := s.ListenWith("SASL_PLAINTEXT", "127.0.0.1:0", ListenOptions{SASL: &SASL{
		Mechanisms: []string{"PLAIN"},
		NewSession: func(string) SASLSession { return &plainSession{users: users} },
		MaxReceive: 512 << 10, SessionLifetime: lifetime,
	}})
	if err != nil {
		t.Fatal(err)
	}
	ss.addr = addr.String()
	return ss
}

func (ss *saslServer) seen() []string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return append([]string(nil), ss.principals...)
}

func metadataVia(t *testing.T, addr string, opts ...kgo.Opt) error {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr), kgo.RequestRetries(0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl)
	return err
}

// TestSASLPlainThroughFranzGo: franz-go's PLAIN authenticates with
// SaslHandshake v1 + SaslAuthenticate, and the requests that follow carry
// the user's principal; a wrong password fails with
// SASL_AUTHENTICATION_FAILED and no request is served.
func TestSASLPlainThroughFranzGo(t *testing.T) {
	ss := startSASL(t, 0)
	if err := metadataVia(t, ss.addr, kgo.SASL(plain.Auth{User: "alice", Pass: "alice-secret"}.AsMechanism())); err != nil {
		t.Fatalf("authenticated Metadata: %v", err)
	}
	if got := ss.seen(); len(got) != 1 || got[0] != "User:alice" {
		t.Fatalf("principals %v, want [User:alice]", got)
	}
	err := metadataVia(t, ss.addr, kgo.SASL(plain.Auth{User: "alice", Pass: "wrong"}.AsMechanism()))
	if !errors.Is(err, kerr.SaslAuthenticationFailed) {
		t.Fatalf("wrong password: %v, want SASL_AUTHENTICATION_FAILED", err)
	}
	if got := ss.seen(); len(got) != 1 {
		t.Fatalf("a request was served after a failed authentication: %v", got)
	}
}

// rawConn speaks the protocol by hand, to send what a client should not.
type rawConn struct {
	t  *testing.T
	nc net.Conn
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc}
}

func (r *rawConn) send(req kmsg.Request) {
	r.t.Helper()
	b := kmsg.NewRequestFormatter(kmsg.FormatterClientID("raw")).AppendRequest(nil, req, 1)
	if _, err := r.nc.Write(b); err != nil {
		r.t.Fatal(err)
	}
}

// recv reads one response into resp; io.EOF when the broker closed.
func (r *rawConn) recv(resp kmsg.Response) error {
	r.t.Helper()
	body, err := r.token()
	if err != nil {
		return err
	}
	skip := 4
	if resp.IsFlexible() && resp.Key() != 18 {
		skip++
	}
	return resp.ReadFrom(body[skip:])
}

func (r *rawConn) token() ([]byte, error) {
	var size [4]byte
	if _, err := io.ReadFull(r.nc, size[:]); err != nil {
		return nil, err
	}
	b := make([]byte, binary.BigEndian.Uint32(size[:]))
	_, err := io.ReadFull(r.nc, b)
	return b, err
}

// closed reports whether the broker closed the connection instead of
// answering (a hang is neither: it times out and fails the caller).
func (r *rawConn) closed() bool {
	_, err := r.token()
	return err != nil && !errors.Is(err, os.ErrDeadlineExceeded)
}

// TestSASLRefusesRequestsBeforeAuthentication: a Metadata request before
// the exchange closes the connection unserved, and so does a frame above
// sasl.server.max.receive.size (before anything is allocated for it).
func TestSASLRefusesRequestsBeforeAuthentication(t *testing.T) {
	ss := startSASL(t, 0)
	r := dialRaw(t, ss.addr)
	r.send(kmsg.NewPtrMetadataRequest())
	if !r.closed() {
		t.Fatal("Metadata before authentication was answered")
	}
	big := dialRaw(t, ss.addr)
	if _, err := big.nc.Write(binary.BigEndian.AppendUint32(nil, 600<<10)); err != nil {
		t.Fatal(err)
	}
	if !big.closed() {
		t.Fatal("a 600 KiB frame before authentication was read")
	}
	if got := ss.seen(); len(got) != 0 {
		t.Fatalf("served before authentication: %v", got)
	}
}

// TestSASLHandshakeV0RawTokens: after SaslHandshake v0 the client sends
// the PLAIN token raw (Kafka's original framing), gets an empty raw reply,
// and is then served as the user.
func TestSASLHandshakeV0RawTokens(t *testing.T) {
	ss := startSASL(t, 0)
	r := dialRaw(t, ss.addr)
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Version, hs.Mechanism = 0, "PLAIN"
	r.send(hs)
	var hsResp kmsg.SASLHandshakeResponse
	hsResp.Version = 0
	if err := r.recv(&hsResp); err != nil || hsResp.ErrorCode != 0 {
		t.Fatalf("SaslHandshake v0: %+v, %v", hsResp, err)
	}
	token := []byte("\x00alice\x00alice-secret")
	if _, err := r.nc.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(token))), token...)); err != nil {
		t.Fatal(err)
	}
	if reply, err := r.token(); err != nil || len(reply) != 0 {
		t.Fatalf("raw reply %q, %v; want an empty token", reply, err)
	}
	md := kmsg.NewPtrMetadataRequest()
	md.Version = 1
	r.send(md)
	resp := kmsg.NewPtrMetadataResponse()
	resp.Version = 1
	if err := r.recv(resp); err != nil {
		t.Fatalf("Metadata after raw authentication: %v", err)
	}
	if got := ss.seen(); len(got) != 1 || got[0] != "User:alice" {
		t.Fatalf("principals %v", got)
	}
}

// TestSASLSessionExpires: with connections.max.reauth.ms, SaslAuthenticate
// v1 gives the session's lifetime, and a request after it ends closes the
// connection (KIP-368).
func TestSASLSessionExpires(t *testing.T) {
	ss := startSASL(t, time.Nanosecond)
	r := dialRaw(t, ss.addr)
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Version, hs.Mechanism = 1, "PLAIN"
	r.send(hs)
	hsResp := kmsg.NewPtrSASLHandshakeResponse()
	hsResp.Version = 1
	if err := r.recv(hsResp); err != nil || hsResp.ErrorCode != 0 {
		t.Fatalf("SaslHandshake: %+v, %v", hsResp, err)
	}
	auth := kmsg.NewPtrSASLAuthenticateRequest()
	auth.Version, auth.SASLAuthBytes = 1, []byte("\x00alice\x00alice-secret")
	r.send(auth)
	authResp := kmsg.NewPtrSASLAuthenticateResponse()
	authResp.Version = 1
	if err := r.recv(authResp); err != nil || authResp.ErrorCode != 0 {
		t.Fatalf("SaslAuthenticate: %+v, %v", authResp, err)
	}
	r.send(kmsg.NewPtrMetadataRequest())
	if !r.closed() {
		t.Fatal("a request after the session expired was answered")
	}
}
