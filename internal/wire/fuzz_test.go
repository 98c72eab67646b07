package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// FuzzFrameAndRequest feeds arbitrary bytes through everything a
// connection does before a handler runs: framing, the header and the body
// decoder. Whatever the input it must return a frame or an error, never
// panic and never allocate past the cap.
func FuzzFrameAndRequest(f *testing.F) {
	for _, key := range []int16{0, 1, 2, 3, 18, 19, 20, 22, 23, 32, 37, 60, 75} {
		req := kmsg.RequestForKey(key)
		req.SetVersion(req.MaxVersion())
		f.Add(encodeRequest(req, 1, "fuzz"))
		req.SetVersion(0)
		f.Add(encodeRequest(req, 1, "fuzz"))
	}
	produce := kmsg.NewPtrProduceRequest()
	produce.SetVersion(9)
	tp := kmsg.NewProduceRequestTopic()
	tp.Topic = "t"
	pp := kmsg.NewProduceRequestTopicPartition()
	pp.Records = bytes.Repeat([]byte{1}, 70)
	tp.Partitions = append(tp.Partitions, pp)
	produce.Topics = append(produce.Topics, tp)
	f.Add(encodeRequest(produce, 2, "fuzz"))
	f.Add([]byte{0x16, 0x03, 0x01, 0x02, 0x00})

	f.Fuzz(func(t *testing.T, in []byte) {
		r := bytes.NewReader(in)
		for {
			frame, err := ReadFrame(r, 1<<16, nil)
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) &&
					!errors.Is(err, ErrFrameTooLarge) && !errors.Is(err, ErrBadFrame) {
					t.Fatalf("unexpected error type: %v", err)
				}
				return
			}
			h, body, err := ParseHeader(frame)
			if err != nil {
				continue
			}
			req := kmsg.RequestForKey(h.Key)
			if req == nil || h.Version < 0 || h.Version > req.MaxVersion() {
				continue
			}
			// A decoder panic is turned into an error for the connection;
			// the fuzzer should still hear about it.
			if _, err := DecodeBody(h, body); err != nil && bytes.Contains([]byte(err.Error()), []byte("decoder panic")) {
				t.Fatalf("kmsg decoder panicked: %v", err)
			}
		}
	})
}
