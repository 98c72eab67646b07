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

// A Pending response does not hold up the requests behind it, and every
// response still goes out in request order.
func TestPendingKeepsOrder(t *testing.T) {
	release := make(chan struct{})
	served := make(chan int32, 4)
	reg := wire.NewRegistry()
	// Metadata answers later, through a Pending; ApiVersions at once.
	reg.Register(wire.API{Key: 3, Min: 0, Max: 12, Handle: func(_ context.Context, _ *wire.Conn, h wire.Header, req kmsg.Request) (kmsg.Response, error) {
		served <- h.CorrelationID
		p := wire.NewPending()
		resp := req.ResponseKind()
		go func() { <-release; p.Complete(resp, nil) }()
		return p, nil
	}})
	reg.Register(wire.API{Key: 18, Min: 0, Max: 4, Handle: func(_ context.Context, _ *wire.Conn, h wire.Header, req kmsg.Request) (kmsg.Response, error) {
		served <- h.CorrelationID
		return req.ResponseKind(), nil
	}})
	s := New(Options{Registry: reg, MaxRequestBytes: 1 << 20})
	defer s.Close()
	addr, err := s.Listen("PLAINTEXT", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nc, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()

	// Three requests in one write: Metadata (pending), ApiVersions,
	// ApiVersions.
	f := kmsg.NewRequestFormatter(kmsg.FormatterClientID("test"))
	var buf []byte
	md := kmsg.NewPtrMetadataRequest()
	md.SetVersion(12)
	// (AppendRequest sizes the frame by all of dst: one buffer each.)
	buf = append(buf, f.AppendRequest(nil, md, 1)...)
	for corr := int32(2); corr <= 3; corr++ {
		av := kmsg.NewPtrApiVersionsRequest()
		av.SetVersion(3)
		buf = append(buf, f.AppendRequest(nil, av, corr)...)
	}
	if _, err := nc.Write(buf); err != nil {
		t.Fatal(err)
	}
	// All three are served while the first is still pending.
	for want := int32(1); want <= 3; want++ {
		select {
		case got := <-served:
			if got != want {
				t.Fatalf("served request %d, want %d", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("request %d not served while request 1 was pending", want)
		}
	}
	// Nothing is answered before the pending response.
	nc.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	var one [1]byte
	if n, err := nc.Read(one[:]); n != 0 || err == nil {
		t.Fatalf("a response went out before the pending one (read %d bytes, err %v)", n, err)
	}
	close(release)
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(nc)
	for want := int32(1); want <= 3; want++ {
		var hdr [8]byte
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			t.Fatalf("response %d: %v", want, err)
		}
		size, corr := binary.BigEndian.Uint32(hdr[:4]), int32(binary.BigEndian.Uint32(hdr[4:]))
		if corr != want {
			t.Fatalf("response %d has correlation id %d: out of order", want, corr)
		}
		if _, err := io.CopyN(io.Discard, br, int64(size)-4); err != nil {
			t.Fatal(err)
		}
	}
}
