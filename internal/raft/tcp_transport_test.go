package raft

import (
	"encoding/binary"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	pb "go.etcd.io/raft/v3/raftpb"

	"github.com/strom-project/strom/internal/testutil"
)

// stepSink is a Node that is not running: Step queues into stepc for the
// test to read, and reports pile up in fb for the test to inspect.
func stepSink() *Node {
	n := &Node{stepc: make(chan *pb.Message, 64), done: make(chan struct{})}
	n.fb.init()
	return n
}

// waitOutcomes waits until n's transport feedback includes want.
func waitOutcomes(t *testing.T, n *Node, want ...sendOutcome) {
	t.Helper()
	var got []sendOutcome
	testutil.WaitFor(t, testWait, func() error {
		got = append(got, n.fb.take()...)
		for _, w := range want {
			if !slices.Contains(got, w) {
				return fmt.Errorf("outcomes %+v lack %+v", got, w)
			}
		}
		return nil
	})
}

func recv(t *testing.T, n *Node) *pb.Message {
	t.Helper()
	select {
	case m := <-n.stepc:
		return m
	case <-time.After(testWait):
		t.Fatal("no message delivered")
		return nil
	}
}

func TestTransportDeliversInOrder(t *testing.T) {
	ln := newTestListener(t)
	recvNode, sendNode := stepSink(), stepSink()
	rx := NewTCPTransport(1, map[int32]string{0: "127.0.0.1:1"}, quietLogger())
	rx.SetNode(recvNode)
	ln.tr.Store(rx)
	tx := NewTCPTransport(0, map[int32]string{0: "ignored: self", 1: ln.addr()}, quietLogger())
	tx.SetNode(sendNode)

	sent := []*pb.Message{
		msg(pb.MsgHeartbeat, 0, 1, 2),
		msgApp(0, 1, 2, 5, 2, entry(6, 2, "a")),
		msgSnap(0, 1, 9, "image"),
	}
	tx.Send(append(sent, msg(pb.MsgHeartbeat, 0, 7, 2))) // node 7: unknown, dropped
	for _, want := range sent {
		if got := recv(t, recvNode); !proto.Equal(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	waitOutcomes(t, sendNode, sendOutcome{to: RaftID(1), snapshot: true, delivered: true})

	tx.Close()
	rx.Close()
	ln.close()
	checkNoLeaks(t)
}

func TestTransportReportsUnreachable(t *testing.T) {
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := dead.Addr().String()
	dead.Close() // connections to addr are refused
	n := stepSink()
	tx := NewTCPTransport(0, map[int32]string{1: addr}, quietLogger())
	tx.SetNode(n)
	tx.Send([]*pb.Message{msg(pb.MsgHeartbeat, 0, 1, 2), msgSnap(0, 1, 9, "image")})
	waitOutcomes(t, n,
		sendOutcome{to: RaftID(1)},
		sendOutcome{to: RaftID(1), snapshot: true, delivered: false})
	tx.Close()
	checkNoLeaks(t)
}

// ServeConn closes a connection on anything bad, but only drops (and keeps
// reading past) a well-formed message for another node.
func TestServeConnRejects(t *testing.T) {
	tests := []struct {
		name      string
		stream    []byte
		delivered int  // messages stepped
		open      bool // ServeConn reads on until the sender hangs up
	}{
		{"observer", stream(t, 5, msg(pb.MsgHeartbeat, 5, 0, 1)), 1, true},
		{"self", stream(t, 0, msg(pb.MsgHeartbeat, 0, 0, 1)), 0, false},
		{"spoofed sender", stream(t, 2, msg(pb.MsgHeartbeat, 1, 0, 1), msg(pb.MsgHeartbeat, 2, 0, 1)), 0, false},
		{"misrouted then good", stream(t, 2, msg(pb.MsgHeartbeat, 2, 1, 1), msg(pb.MsgHeartbeat, 2, 0, 1)), 1, true},
		{"garbage after hello", append(stream(t, 2), 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0), 0, false},
		{"no hello", binary.BigEndian.AppendUint32(nil, RaftPreface), 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := stepSink()
			tr := NewTCPTransport(0, map[int32]string{1: "127.0.0.1:1", 2: "127.0.0.1:1"}, quietLogger())
			tr.SetNode(n)
			client, server := net.Pipe()
			done := make(chan struct{})
			go func() {
				tr.ServeConn(server)
				close(done)
			}()
			defer client.Close()
			go client.Write(tc.stream[4:]) // the listener consumed the preface
			for range tc.delivered {
				recv(t, n)
			}
			if tc.open {
				// The message after the dropped one arrived, so the
				// connection outlived it; now the sender hangs up.
				client.Close()
			}
			select {
			case <-done:
			case <-time.After(testWait):
				t.Fatal("ServeConn did not return")
			}
			if len(n.stepc) != 0 {
				t.Fatalf("%d messages delivered too many", len(n.stepc))
			}
			tr.Close()
		})
	}
}

// Close ends ServeConn calls blocked on a silent connection and stepping.
func TestTransportCloseEndsServeConn(t *testing.T) {
	tr := NewTCPTransport(0, map[int32]string{2: "127.0.0.1:1"}, quietLogger())
	tr.SetNode(stepSink())
	client, server := net.Pipe()
	defer client.Close()
	done := make(chan struct{})
	go func() {
		tr.ServeConn(server)
		close(done)
	}()
	client.Write(stream(t, 2)[4:])
	tr.Close()
	select {
	case <-done:
	case <-time.After(testWait):
		t.Fatal("ServeConn still running after Close")
	}
	// After Close a new connection is refused at once.
	c2, s2 := net.Pipe()
	defer c2.Close()
	tr.ServeConn(s2)
}
