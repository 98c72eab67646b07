package raft

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"google.golang.org/protobuf/proto"

	pb "go.etcd.io/raft/v3/raftpb"
)

func msg(typ pb.MessageType, from, to int32, term uint64) *pb.Message {
	return &pb.Message{Type: typ.Enum(), From: new(RaftID(from)), To: new(RaftID(to)), Term: new(term)}
}

func msgApp(from, to int32, term, index, logTerm uint64, ents ...*pb.Entry) *pb.Message {
	m := msg(pb.MsgApp, from, to, term)
	m.Index, m.LogTerm, m.Entries, m.Commit = new(index), new(logTerm), ents, new(index)
	return m
}

func msgSnap(from, to int32, index uint64, data string) *pb.Message {
	m := msg(pb.MsgSnap, from, to, 3)
	m.Snapshot = &pb.Snapshot{Data: []byte(data), Metadata: &pb.SnapshotMetadata{
		Index: new(index), Term: new(uint64(3)), ConfState: &pb.ConfState{Voters: []uint64{1, 2, 3}},
	}}
	return m
}

// stream is what a sender writes: preface, hello, message frames.
func stream(t testing.TB, from int32, msgs ...*pb.Message) []byte {
	b := appendHello(nil, from)
	for _, m := range msgs {
		var err error
		if b, err = appendMessage(b, m); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func TestWireRoundTrip(t *testing.T) {
	msgs := []*pb.Message{
		msg(pb.MsgHeartbeat, 2, 0, 7),
		msgApp(2, 0, 7, 10, 6, entry(11, 6, "a"), entry(12, 7, "")),
		msgSnap(2, 0, 40, "image"),
	}
	r := bytes.NewReader(stream(t, 2, msgs...))
	var pre [4]byte
	io.ReadFull(r, pre[:])
	if binary.BigEndian.Uint32(pre[:]) != RaftPreface || int32(binary.BigEndian.Uint32(pre[:])) >= 0 {
		t.Fatalf("preface %x: must be RaftPreface and negative as an int32", pre)
	}
	if from, err := readHello(r); err != nil || from != 2 {
		t.Fatalf("hello: %d, %v", from, err)
	}
	for _, want := range msgs {
		got, err := readMessage(r)
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
		if err := checkMessage(got, 0, 2); err != nil {
			t.Fatalf("valid message rejected: %v", err)
		}
	}
	if _, err := readMessage(r); err != io.EOF {
		t.Fatalf("at the end: %v, want io.EOF", err)
	}
}

func TestReadWireFrameRejects(t *testing.T) {
	good := stream(t, 2, msg(pb.MsgHeartbeat, 2, 0, 1))[4:] // hello, message
	header := func(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, io.EOF},
		{"short header", good[:5], io.ErrUnexpectedEOF},
		{"zero length", append(header(0), 0, 0, 0, 0), errBadFrame},
		// Rejected on the header alone: nothing is allocated or read.
		{"over the cap", append(header(maxWireFrame+1), 0, 0, 0, 0), errBadFrame},
		{"cut short", good[:len(good)-1], errBadFrame},
		{"crc", func() []byte { b := bytes.Clone(good); b[len(b)-1] ^= 1; return b }(), errBadFrame},
		{"big and cut short", append(header(8<<20), 0, 0, 0, 0, 1, 2, 3), errBadFrame},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := bytes.NewReader(tc.in)
			var err error
			for err == nil {
				_, _, err = readWireFrame(r)
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("message where hello belongs", func(t *testing.T) {
		b := stream(t, 2, msg(pb.MsgHeartbeat, 2, 0, 1))
		if _, err := readHello(bytes.NewReader(b[len(stream(t, 2)):])); !errors.Is(err, errBadFrame) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("hello where a message belongs", func(t *testing.T) {
		if _, err := readMessage(bytes.NewReader(good)); !errors.Is(err, errBadFrame) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestCheckMessage(t *testing.T) {
	local := msg(pb.MsgHup, 2, 0, 1)
	noTerm := msg(pb.MsgHeartbeat, 2, 0, 0)
	unknownType := msg(pb.MessageType(99), 2, 0, 1)
	emptySnap := msg(pb.MsgSnap, 2, 0, 1)
	tests := []struct {
		name string
		m    *pb.Message
		want error
	}{
		{"ok", msgApp(2, 0, 5, 3, 4, entry(4, 4, "x"), entry(5, 5, "y")), nil},
		{"forwarded read index has no term", msg(pb.MsgReadIndex, 2, 0, 0), nil},
		{"for another node", msg(pb.MsgHeartbeat, 2, 1, 1), errMisrouted},
		{"spoofed sender", msg(pb.MsgHeartbeat, 1, 0, 1), errBadFrame},
		{"local type", local, errBadFrame},
		{"unknown type", unknownType, errBadFrame},
		{"no term", noTerm, errBadFrame},
		{"gap in entries", msgApp(2, 0, 5, 3, 4, entry(5, 4, "x")), errBadFrame},
		{"term goes back", msgApp(2, 0, 5, 3, 4, entry(4, 3, "x")), errBadFrame},
		{"entry newer than message", msgApp(2, 0, 5, 3, 4, entry(4, 6, "x")), errBadFrame},
		{"snapshot missing", emptySnap, errBadFrame},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := checkMessage(tc.m, 0, 2); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}
