package network

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/wire"
)

// A listener with a Takeover serves Kafka requests and hands connections
// that start with the preface, bytes already buffered included, to Serve.
func TestTakeoverSharesListener(t *testing.T) {
	reg := wire.NewRegistry()
	reg.Register(wire.API{Key: 18, Min: 0, Max: 4, Handle: func(context.Context, *wire.Conn, wire.Header, kmsg.Request) (kmsg.Response, error) {
		return kmsg.NewPtrApiVersionsResponse(), nil
	}})
	got := make(chan string, 1)
	s := New(Options{Registry: reg, MaxRequestBytes: 1 << 20})
	defer s.Close()
	const preface = 0xFF00_0001
	addr, err := s.ListenWith("CONTROLLER", "127.0.0.1:0", ListenOptions{Takeover: &Takeover{
		Preface: preface,
		Serve: func(c net.Conn) {
			b, _ := io.ReadAll(c)
			got <- string(b)
		},
	}})
	if err != nil {
		t.Fatal(err)
	}

	// One write: the preface and the payload arrive in the same buffer.
	nc, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	msg := binary.BigEndian.AppendUint32(nil, preface)
	msg = append(msg, "raft bytes"...)
	if _, err := nc.Write(msg); err != nil {
		t.Fatal(err)
	}
	nc.(*net.TCPConn).CloseWrite()
	select {
	case s := <-got:
		if s != "raft bytes" {
			t.Fatalf("Serve read %q, want %q", s, "raft bytes")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve never got the connection")
	}
	nc.Close()

	cl := wire.NewClient(addr.String(), "test")
	defer cl.Close()
	req := kmsg.NewPtrApiVersionsRequest()
	req.SetVersion(3)
	if _, err := cl.Do(context.Background(), req); err != nil {
		t.Fatalf("Kafka request on the shared listener: %v", err)
	}
}
