package wire

import (
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ErrUnknownKey and ErrMalformed mark requests that close the connection.
var (
	ErrUnknownKey = errors.New("wire: unknown api key")
	ErrMalformed  = errors.New("wire: malformed request")
)

// Header is a parsed request header.
type Header struct {
	Key           int16
	Version       int16
	CorrelationID int32
	ClientID      *string
}

// ParseHeader reads the header fields common to every request version.
// It returns the header and the rest of the frame.
func ParseHeader(frame []byte) (Header, []byte, error) {
	r := kbin.Reader{Src: frame}
	h := Header{Key: r.Int16(), Version: r.Int16(), CorrelationID: r.Int32(), ClientID: r.NullableString()}
	if err := r.Complete(); err != nil {
		return h, nil, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	return h, r.Src, nil
}

// DecodeBody decodes a request body for h.Key at h.Version. The version
// must already be known to be one kmsg can parse.
func DecodeBody(h Header, body []byte) (kmsg.Request, error) {
	req := kmsg.RequestForKey(h.Key)
	if req == nil {
		return nil, fmt.Errorf("%w: %d", ErrUnknownKey, h.Key)
	}
	req.SetVersion(h.Version)
	if req.IsFlexible() {
		r := kbin.Reader{Src: body}
		kmsg.SkipTags(&r)
		if err := r.Complete(); err != nil {
			return nil, fmt.Errorf("%w: header tags: %v", ErrMalformed, err)
		}
		body = r.Src
	}
	if err := decodeSafely(req, body); err != nil {
		return nil, fmt.Errorf("%w: %s v%d: %v", ErrMalformed, kmsg.NameForKey(h.Key), h.Version, err)
	}
	return req, nil
}

// decodeSafely guards the generated decoder: it bounds array lengths by the
// remaining bytes, but a decoder bug must cost one connection, not the
// broker.
func decodeSafely(msg interface{ ReadFrom([]byte) error }, body []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder panic: %v", r)
		}
	}()
	return msg.ReadFrom(body)
}

// AppendResponse encodes a response frame for a request header. ApiVersions
// responses keep the v0 header even when the body is flexible (KIP-511).
func AppendResponse(dst []byte, h Header, resp kmsg.Response) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = kbin.AppendInt32(dst, h.CorrelationID)
	resp.SetVersion(h.Version)
	if resp.IsFlexible() && h.Key != 18 {
		dst = append(dst, 0) // empty tagged fields
	}
	dst = resp.AppendTo(dst)
	n := uint32(len(dst) - start - 4)
	dst[start], dst[start+1], dst[start+2], dst[start+3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	return dst
}
