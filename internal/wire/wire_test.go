package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// encodeRequest builds a request frame the way a client does.
func encodeRequest(req kmsg.Request, corr int32, clientID string) []byte {
	b := []byte{0, 0, 0, 0}
	b = kbin.AppendInt16(b, req.Key())
	b = kbin.AppendInt16(b, req.GetVersion())
	b = kbin.AppendInt32(b, corr)
	b = kbin.AppendNullableString(b, &clientID)
	if req.IsFlexible() {
		b = append(b, 0)
	}
	b = req.AppendTo(b)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}

func TestRoundTripEveryVersion(t *testing.T) {
	for _, key := range []int16{0, 1, 2, 3, 18, 19, 20, 22, 23, 32, 37, 60, 75} {
		proto := kmsg.RequestForKey(key)
		for v := int16(0); v <= proto.MaxVersion(); v++ {
			req := kmsg.RequestForKey(key)
			req.SetVersion(v)
			frame := encodeRequest(req, 42, "c")
			body, err := ReadFrame(bytes.NewReader(frame), 1<<20, nil)
			if err != nil {
				t.Fatalf("%s v%d: ReadFrame: %v", kmsg.NameForKey(key), v, err)
			}
			h, rest, err := ParseHeader(body)
			if err != nil || h.Key != key || h.Version != v || h.CorrelationID != 42 || *h.ClientID != "c" {
				t.Fatalf("%s v%d: header %+v err %v", kmsg.NameForKey(key), v, h, err)
			}
			if _, err := DecodeBody(h, rest); err != nil {
				t.Fatalf("%s v%d: decode: %v", kmsg.NameForKey(key), v, err)
			}
		}
	}
}

func TestReadFrameSizeChecks(t *testing.T) {
	tlsHello := []byte{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03}
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"TLS ClientHello on plaintext", tlsHello, ErrFrameTooLarge},
		{"oversize", []byte{0x00, 0x10, 0x00, 0x01}, ErrFrameTooLarge},
		{"negative", []byte{0xff, 0xff, 0xff, 0xff}, ErrBadFrame},
		{"too small", []byte{0, 0, 0, 3, 1, 2, 3}, ErrBadFrame},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadFrame(bytes.NewReader(tc.in), 1<<20, nil)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestDecodeRejectsGarbage(t *testing.T) {
	h := Header{Key: 0, Version: 9}
	if _, err := DecodeBody(h, []byte{0xde, 0xad, 0xbe, 0xef}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("err = %v, want ErrMalformed", err)
	}
	if _, err := DecodeBody(Header{Key: 9999}, nil); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("err = %v, want ErrUnknownKey", err)
	}
}

func TestApiVersionsResponseHeaderStaysV0(t *testing.T) {
	resp := kmsg.NewPtrApiVersionsResponse()
	got := AppendResponse(nil, Header{Key: 18, Version: 3, CorrelationID: 7}, resp)
	// size(4) + correlation id(4), then the body directly: no tag byte.
	if binary.BigEndian.Uint32(got[4:8]) != 7 {
		t.Fatalf("correlation id not echoed")
	}
	body := got[8:]
	check := kmsg.NewPtrApiVersionsResponse()
	check.SetVersion(3)
	if err := check.ReadFrom(body); err != nil {
		t.Fatalf("body does not start right after the v0 header: %v", err)
	}
	meta := AppendResponse(nil, Header{Key: 3, Version: 9, CorrelationID: 7}, kmsg.NewPtrMetadataResponse())
	if meta[8] != 0 {
		t.Fatalf("flexible non-ApiVersions response lacks the header tag byte")
	}
}
