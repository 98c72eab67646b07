package raft

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"google.golang.org/protobuf/proto"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// A raft connection is one-way: the dialling node sends, the accepting node
// only reads (each side dials the other for its own messages).
//
//	conn  := preface:u32 hello frame*
//	hello := frame{kind 4, nodeID:i32}   the sender's Kafka node id
//	frame := frame{kind 5, raftpb.Message (proto)}
//
// Frames are those of frame.go (length, CRC-32C, kind), so a flipped bit is
// caught even where TCP's checksum misses it.

// RaftPreface is the first 4 bytes a raft connection sends. The CONTROLLER
// listener also serves Kafka requests, whose first 4 bytes are a
// non-negative int32 size; RaftPreface is negative as an int32 ("\xffRFT"),
// so the network layer can tell the two apart and hand raft connections to
// TCPTransport.ServeConn.
const RaftPreface uint32 = 0xFF52_4654

// maxWireFrame bounds one frame on a raft connection (a MsgSnap carries the
// whole metadata image). It is checked before anything is allocated.
const maxWireFrame = 256 << 20

// wireChunk is how much of a large frame is allocated ahead of the bytes
// actually arriving, so a peer that announces 256 MiB and sends nothing
// costs us a chunk, not the announced size.
const wireChunk = 1 << 20

var errBadFrame = errors.New("raft: bad frame on raft connection")

// readWireFrame reads one frame from r and returns its kind and body.
func readWireFrame(r io.Reader) (frameKind, []byte, error) {
	var h [frameHeader]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(h[:])
	if n == 0 || n > maxWireFrame {
		return 0, nil, fmt.Errorf("%w: length %d", errBadFrame, n)
	}
	var payload []byte
	if n <= wireChunk {
		payload = make([]byte, n)
		if _, err := io.ReadFull(r, payload); err != nil {
			return 0, nil, fmt.Errorf("%w: %v", errBadFrame, noEOF(err))
		}
	} else {
		// bytes.Buffer grows as data arrives.
		var b bytes.Buffer
		b.Grow(wireChunk)
		if _, err := io.CopyN(&b, r, int64(n)); err != nil {
			return 0, nil, fmt.Errorf("%w: %v", errBadFrame, noEOF(err))
		}
		payload = b.Bytes()
	}
	if crc32.Checksum(payload, castagnoli) != binary.BigEndian.Uint32(h[4:]) {
		return 0, nil, fmt.Errorf("%w: crc mismatch", errBadFrame)
	}
	return frameKind(payload[0]), payload[1:], nil
}

// noEOF turns an EOF in the middle of a frame into ErrUnexpectedEOF, so
// only a clean end between frames reads as io.EOF.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func appendHello(dst []byte, nodeID int32) []byte {
	dst = binary.BigEndian.AppendUint32(dst, RaftPreface)
	return appendFrame(dst, kindHello, binary.BigEndian.AppendUint32(nil, uint32(nodeID)))
}

// readHello reads the hello frame that follows the preface.
func readHello(r io.Reader) (int32, error) {
	kind, body, err := readWireFrame(r)
	if err != nil {
		return 0, err
	}
	if kind != kindHello || len(body) != 4 {
		return 0, fmt.Errorf("%w: want hello, got kind %d with %d bytes", errBadFrame, kind, len(body))
	}
	id := int32(binary.BigEndian.Uint32(body))
	if id < 0 {
		return 0, fmt.Errorf("%w: hello from node %d", errBadFrame, id)
	}
	return id, nil
}

func appendMessage(dst []byte, m *pb.Message) ([]byte, error) {
	b, err := proto.Marshal(m)
	if err != nil {
		return dst, fmt.Errorf("raft: encode %v: %w", m.GetType(), err)
	}
	if len(b)+1 > maxWireFrame {
		return dst, fmt.Errorf("raft: %v to %d is %d bytes, over the %d byte limit", m.GetType(), NodeID(m.GetTo()), len(b), maxWireFrame)
	}
	return appendFrame(dst, kindMessage, b), nil
}

// readMessage reads one message frame; io.EOF means the sender closed the
// connection cleanly between frames.
func readMessage(r io.Reader) (*pb.Message, error) {
	kind, body, err := readWireFrame(r)
	if err != nil {
		return nil, err
	}
	if kind != kindMessage {
		return nil, fmt.Errorf("%w: want message, got kind %d", errBadFrame, kind)
	}
	m := new(pb.Message)
	if err := proto.Unmarshal(body, m); err != nil {
		return nil, fmt.Errorf("%w: %v", errBadFrame, err)
	}
	return m, nil
}

// errMisrouted marks a well-formed message meant for another node: a
// configuration mistake on the sender, not a broken stream.
var errMisrouted = errors.New("raft: message for another node")

// checkMessage vets a message that arrived from peer for self before it
// reaches raft, which trusts its input and panics on some malformed
// messages (a panic would take the whole broker down).
func checkMessage(m *pb.Message, self, peer int32) error {
	if m.GetTo() != RaftID(self) {
		return fmt.Errorf("%w: to raft id %d, this is node %d", errMisrouted, m.GetTo(), self)
	}
	if m.GetFrom() != RaftID(peer) {
		return fmt.Errorf("%w: from raft id %d on node %d's connection", errBadFrame, m.GetFrom(), peer)
	}
	t := m.GetType()
	if _, ok := pb.MessageType_name[int32(t)]; !ok || raft.IsLocalMsg(t) {
		return fmt.Errorf("%w: message type %v", errBadFrame, t)
	}
	if m.GetTerm() == 0 && t != pb.MsgProp && t != pb.MsgReadIndex {
		// raft takes a term-0 message for a local one.
		return fmt.Errorf("%w: %v without a term", errBadFrame, t)
	}
	switch t {
	case pb.MsgApp:
		// What raft's logSlice.valid demands: contiguous entries whose
		// terms never decrease and never pass the message's term.
		prevIndex, prevTerm := m.GetIndex(), m.GetLogTerm()
		for _, e := range m.GetEntries() {
			if e.GetIndex() != prevIndex+1 || e.GetTerm() < prevTerm {
				return fmt.Errorf("%w: MsgApp entry %d/%d after %d/%d", errBadFrame, e.GetIndex(), e.GetTerm(), prevIndex, prevTerm)
			}
			prevIndex, prevTerm = e.GetIndex(), e.GetTerm()
		}
		if prevTerm > m.GetTerm() {
			return fmt.Errorf("%w: MsgApp of term %d carries term %d", errBadFrame, m.GetTerm(), prevTerm)
		}
	case pb.MsgSnap:
		if m.GetSnapshot().GetMetadata().GetIndex() == 0 {
			return fmt.Errorf("%w: MsgSnap without a snapshot", errBadFrame)
		}
	}
	return nil
}
