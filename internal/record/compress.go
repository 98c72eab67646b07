package record

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// DefaultMaxDecompressedBytes caps a batch's decompressed records section
// when Limits does not say otherwise (CVE-2023-34455-style bombs).
const DefaultMaxDecompressedBytes = 64 << 20

// maxPooledBuffer: larger buffers are dropped rather than pinned in the pool.
const maxPooledBuffer = 4 << 20

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }
func putBuf(b *[]byte) {
	if cap(*b) <= maxPooledBuffer {
		*b = (*b)[:0]
		bufPool.Put(b)
	}
}

var (
	gzipPool sync.Pool // *gzip.Reader
	lz4Pool  = sync.Pool{New: func() any { return lz4.NewReader(nil) }}
	zstdDecs sync.Map // limit int → *zstd.Decoder (DecodeAll is safe concurrently)
)

// xerialHeader opens snappy data framed by the Java client's
// SnappyOutputStream: magic, then int32 version and int32 compatible version.
var xerialHeader = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

// Decompress appends the decompressed form of src to dst[:0] and returns it.
// It fails with ErrTooLarge as soon as the output would exceed limit bytes
// (limit <= 0 means DefaultMaxDecompressedBytes), and with ErrCorrupt on
// malformed input or an unknown codec.
func Decompress(c Compression, src, dst []byte, limit int) ([]byte, error) {
	if limit <= 0 {
		limit = DefaultMaxDecompressedBytes
	}
	dst = dst[:0]
	var err error
	switch c {
	case CompressionNone:
		if len(src) > limit {
			return dst, fmt.Errorf("%w: %d > %d bytes", ErrTooLarge, len(src), limit)
		}
		return append(dst, src...), nil
	case CompressionGzip:
		dst, err = gunzip(src, dst, limit)
	case CompressionSnappy:
		dst, err = unsnappy(src, dst, limit)
	case CompressionLZ4:
		r := lz4Pool.Get().(*lz4.Reader)
		r.Reset(bytes.NewReader(src))
		dst, err = readLimited(r, dst, limit, len(src))
		r.Reset(nil)
		lz4Pool.Put(r)
	case CompressionZstd:
		dst, err = unzstd(src, dst, limit)
	default:
		return dst, fmt.Errorf("%w: unknown compression codec %d", ErrCorrupt, c)
	}
	if err != nil && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrCorrupt) {
		err = fmt.Errorf("%w: %s: %v", ErrCorrupt, c, err)
	}
	return dst, err
}

func gunzip(src, dst []byte, limit int) ([]byte, error) {
	var zr *gzip.Reader
	if v := gzipPool.Get(); v != nil {
		zr = v.(*gzip.Reader)
		if err := zr.Reset(bytes.NewReader(src)); err != nil {
			gzipPool.Put(zr)
			return dst, err
		}
	} else {
		var err error
		if zr, err = gzip.NewReader(bytes.NewReader(src)); err != nil {
			return dst, err
		}
	}
	defer gzipPool.Put(zr)
	return readLimited(zr, dst, limit, len(src))
}

// readLimited reads r to EOF into dst, growing geometrically from a guess
// based on the compressed size, never beyond limit+1 bytes.
func readLimited(r io.Reader, dst []byte, limit, srcLen int) ([]byte, error) {
	if want := min(4*srcLen+512, limit+1); cap(dst) < want {
		dst = make([]byte, 0, want)
	}
	for {
		if len(dst) == cap(dst) {
			if len(dst) > limit {
				return dst, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
			}
			grown := make([]byte, len(dst), min(2*cap(dst), limit+1))
			copy(grown, dst)
			dst = grown
		}
		n, err := r.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if len(dst) > limit {
			return dst, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
		}
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, err
		}
	}
}

func unsnappy(src, dst []byte, limit int) ([]byte, error) {
	if !bytes.HasPrefix(src, xerialHeader) {
		return snappyBlock(src, dst, limit)
	}
	// xerial framing: 16-byte header, then [int32 length][snappy block]*.
	if len(src) < 16 {
		return dst, fmt.Errorf("%w: short xerial header", ErrCorrupt)
	}
	pos := 16
	for pos < len(src) {
		if len(src)-pos < 4 {
			return dst, fmt.Errorf("%w: torn xerial chunk length", ErrCorrupt)
		}
		n := int(binary.BigEndian.Uint32(src[pos:]))
		pos += 4
		if n > len(src)-pos {
			return dst, fmt.Errorf("%w: xerial chunk of %d bytes, %d left", ErrCorrupt, n, len(src)-pos)
		}
		var err error
		if dst, err = snappyBlock(src[pos:pos+n], dst, limit); err != nil {
			return dst, err
		}
		pos += n
	}
	return dst, nil
}

// snappyBlock appends one raw snappy block to dst, checking the declared
// length against the remaining budget before allocating.
func snappyBlock(src, dst []byte, limit int) ([]byte, error) {
	n, err := snappy.DecodedLen(src)
	if err != nil {
		return dst, err
	}
	if n > limit-len(dst) {
		return dst, fmt.Errorf("%w: snappy block declares %d bytes, %d of %d left", ErrTooLarge, n, limit-len(dst), limit)
	}
	start := len(dst)
	if cap(dst)-start < n {
		grown := make([]byte, start, start+n)
		copy(grown, dst)
		dst = grown
	}
	out, err := snappy.Decode(dst[start:start+n], src)
	if err != nil {
		return dst, err
	}
	if len(out) != n {
		return dst, fmt.Errorf("%w: snappy decoded %d of %d bytes", ErrCorrupt, len(out), n)
	}
	return dst[:start+n], nil
}

func unzstd(src, dst []byte, limit int) ([]byte, error) {
	v, ok := zstdDecs.Load(limit)
	if !ok {
		d, err := zstd.NewReader(nil, zstd.WithDecoderMaxMemory(uint64(limit)), zstd.WithDecoderConcurrency(0))
		if err != nil {
			return dst, err
		}
		v, _ = zstdDecs.LoadOrStore(limit, d)
	}
	out, err := v.(*zstd.Decoder).DecodeAll(src, dst)
	switch {
	case errors.Is(err, zstd.ErrDecoderSizeExceeded) || len(out) > limit:
		return dst, fmt.Errorf("%w: zstd output over %d bytes", ErrTooLarge, limit)
	case errors.Is(err, zstd.ErrWindowSizeExceeded):
		// The frame asks for a window larger than the cap: decoding it
		// would need more memory than the batch may inflate to.
		return dst, fmt.Errorf("%w: zstd window over %d bytes", ErrTooLarge, limit)
	}
	return out, err
}
