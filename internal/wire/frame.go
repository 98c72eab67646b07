package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrFrameTooLarge is returned for a size prefix beyond the cap. A TLS
// ClientHello on a plaintext port reads as a ~369 MB size and lands here
// before anything is allocated.
var ErrFrameTooLarge = errors.New("wire: request size exceeds socket.request.max.bytes")

// ErrBadFrame is returned for a negative or too-small size prefix.
var ErrBadFrame = errors.New("wire: invalid request size")

// minRequestSize is key + version + correlation id + client id length.
const minRequestSize = 2 + 2 + 4 + 2

// ReadFrame reads one size-prefixed frame. The size is validated against
// max before the body buffer is allocated; buf is reused when large enough.
func ReadFrame(r io.Reader, max int32, buf []byte) ([]byte, error) {
	var sz [4]byte
	if _, err := io.ReadFull(r, sz[:]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(sz[:]))
	switch {
	case n < minRequestSize:
		return nil, fmt.Errorf("%w: %d", ErrBadFrame, n)
	case n > max:
		return nil, fmt.Errorf("%w: %d > %d", ErrFrameTooLarge, n, max)
	}
	if cap(buf) >= int(n) {
		buf = buf[:n]
	} else {
		buf = make([]byte, n)
	}
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	return buf, nil
}
