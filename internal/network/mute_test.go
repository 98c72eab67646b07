package network

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/wire"
)

// muteServer serves Metadata with the throttle the client id asks for
// ("throttle" → 1.5 s, anything else → none).
func muteServer(t *testing.T) net.Addr {
	t.Helper()
	reg := wire.NewRegistry()
	reg.Register(wire.API{Key: 3, Min: 0, Max: 12, Handle: func(_ context.Context, c *wire.Conn, _ wire.Header, req kmsg.Request) (kmsg.Response, error) {
		resp := req.ResponseKind().(*kmsg.MetadataResponse)
		if c.ClientID != nil && *c.ClientID == "throttle" {
			resp.ThrottleMillis = 1500
		}
		return resp, nil
	}})
	s := New(Options{Registry: reg, MaxRequestBytes: 1 << 20})
	t.Cleanup(s.Close)
	addr, err := s.Listen("PLAINTEXT", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

type testClient struct {
	nc net.Conn
	br *bufio.Reader
	f  *kmsg.RequestFormatter
}

func dialTest(t *testing.T, addr net.Addr, clientID string) *testClient {
	t.Helper()
	nc, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	return &testClient{nc: nc, br: bufio.NewReader(nc), f: kmsg.NewRequestFormatter(kmsg.FormatterClientID(clientID))}
}

func (c *testClient) send(t *testing.T, corrs ...int32) {
	t.Helper()
	var buf []byte
	for _, corr := range corrs {
		md := kmsg.NewPtrMetadataRequest()
		md.SetVersion(12)
		buf = append(buf, c.f.AppendRequest(nil, md, corr)...)
	}
	if _, err := c.nc.Write(buf); err != nil {
		t.Fatal(err)
	}
}

// recv reads one response and returns its correlation id.
func (c *testClient) recv(t *testing.T) int32 {
	t.Helper()
	var hdr [8]byte
	if _, err := io.ReadFull(c.br, hdr[:]); err != nil {
		t.Fatal(err)
	}
	size := binary.BigEndian.Uint32(hdr[:4])
	if _, err := io.CopyN(io.Discard, c.br, int64(size)-4); err != nil {
		t.Fatal(err)
	}
	return int32(binary.BigEndian.Uint32(hdr[4:]))
}

// TestMuteAfterThrottle: a throttled response goes out at once; the
// request pipelined behind it is read only after the throttle time, and
// meanwhile other connections are served.
func TestMuteAfterThrottle(t *testing.T) {
	addr := muteServer(t)
	slow := dialTest(t, addr, "throttle")
	other := dialTest(t, addr, "other")

	slow.send(t, 1, 2) // pipelined: 2 is in the socket while 1 is answered
	if got := slow.recv(t); got != 1 {
		t.Fatalf("first response has correlation id %d", got)
	}
	first := time.Now()
	answered := make(chan time.Time, 1)
	go func() {
		var hdr [8]byte
		io.ReadFull(slow.br, hdr[:])
		answered <- time.Now()
	}()

	// Another connection is served while the first is muted.
	other.send(t, 7)
	if got := other.recv(t); got != 7 {
		t.Fatalf("other connection: correlation id %d", got)
	}
	select {
	case <-answered:
		t.Fatal("the muted connection answered its next request before the other connection was served")
	default:
	}
	if at := <-answered; at.Sub(first) < 1400*time.Millisecond {
		t.Fatalf("second request answered %v after a 1500 ms throttle", at.Sub(first))
	}
}

// TestNoteThrottle: only a positive throttle_time_ms mutes, and a shorter
// throttle never shortens a mute already in force.
func TestNoteThrottle(t *testing.T) {
	c := &conn{}
	c.noteThrottle(&kmsg.MetadataResponse{ThrottleMillis: 0})
	c.noteThrottle(&kmsg.MetadataResponse{ThrottleMillis: -5})
	c.noteThrottle(&kmsg.SASLHandshakeResponse{}) // no throttle field
	if !c.mutedUntil.IsZero() {
		t.Fatalf("muted until %v without a throttle", c.mutedUntil)
	}
	c.noteThrottle(&kmsg.ProduceResponse{ThrottleMillis: 60_000})
	long := c.mutedUntil
	if time.Until(long) < 59*time.Second {
		t.Fatalf("a 60 s throttle muted until %v", long)
	}
	c.noteThrottle(&kmsg.FetchResponse{ThrottleMillis: 10})
	if c.mutedUntil != long {
		t.Fatal("a shorter throttle shortened the mute")
	}
}
