package raft

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/proto"

	pb "go.etcd.io/raft/v3/raftpb"
)

// FuzzRaftConn feeds arbitrary bytes to what ServeConn runs on an inbound
// connection after the preface: hello, then message frames, each vetted by
// checkMessage. Nothing may panic, and what decodes re-encodes to the same
// message. The CRC would stop the fuzzer at the frame layer, so the input
// is also framed correctly as one message body.
func FuzzRaftConn(f *testing.F) {
	f.Add(stream(f, 2, msg(pb.MsgHeartbeat, 2, 0, 1))[4:])
	f.Add(stream(f, 2, msgApp(2, 0, 5, 3, 4, entry(4, 4, "x"), entry(5, 5, "y")), msgSnap(2, 0, 9, "image"))[4:])
	f.Add(stream(f, 2, msgApp(2, 0, 5, 3, 4, entry(5, 4, "gap")))[4:])
	for _, m := range []*pb.Message{msgApp(2, 0, 5, 3, 4, entry(4, 4, "x")), msgSnap(2, 0, 9, "image")} {
		b, _ := proto.Marshal(m)
		f.Add(b)
	}
	f.Add([]byte{0x10, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		readConn(t, bytes.NewReader(b))
		framed := append(appendHello(nil, 2)[4:], appendFrame(nil, kindMessage, b)...)
		readConn(t, bytes.NewReader(framed))
	})
}

func readConn(t *testing.T, r *bytes.Reader) {
	from, err := readHello(r)
	if err != nil {
		return
	}
	for {
		m, err := readMessage(r)
		if err != nil {
			return
		}
		_ = checkMessage(m, 0, from)
		enc, err := appendMessage(nil, m)
		if err != nil {
			t.Fatalf("decoded message does not encode: %v", err)
		}
		m2, err := readMessage(bytes.NewReader(enc))
		if err != nil || !proto.Equal(m, m2) {
			t.Fatalf("re-encoded message does not read back: %v\n%v\n%v", err, m, m2)
		}
	}
}
