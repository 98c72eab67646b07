package record

import (
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// Kafka's default compression levels (KIP-390): compression.gzip.level,
// compression.lz4.level and compression.zstd.level.
const (
	DefaultGzipLevel = -1 // java.util.zip.Deflater.DEFAULT_COMPRESSION (6)
	DefaultLZ4Level  = 9
	DefaultZstdLevel = 3
)

// Recompress appends to dst a copy of batch (one batch that passed
// Validate) whose records section is re-encoded with codec c at Kafka
// compression level (see CompressLevel). Everything else is kept: offsets,
// leader epoch, timestamps, producer id/epoch/sequence, the other
// attribute bits, and the records themselves byte for byte (in v2 the
// records section does not depend on the codec). The CRC is recomputed.
// Decompression is bounded by lim; a batch already in codec c is copied
// unchanged.
func Recompress(dst, batch []byte, c Compression, level int, lim Limits) ([]byte, error) {
	h, err := CheckIntegrity(batch)
	if err != nil {
		return dst, err
	}
	if h.Compression() == c {
		return append(dst, batch...), nil
	}
	body := batch[HeaderSize:]
	if h.Compression() != CompressionNone {
		buf := getBuf()
		defer putBuf(buf)
		out, err := Decompress(h.Compression(), body, *buf, lim.MaxDecompressedBytes)
		*buf = out
		if err != nil {
			return dst, err
		}
		body = out
	}
	start := len(dst)
	dst = append(dst, batch[:HeaderSize]...)
	if dst, err = CompressLevel(dst, c, level, body); err != nil {
		return dst[:start], err
	}
	nb := dst[start:]
	if len(nb)-LogOverhead > 1<<31-1 {
		return dst[:start], fmt.Errorf("%w: recompressed batch of %d bytes", ErrTooLarge, len(nb))
	}
	be := binary.BigEndian
	be.PutUint32(nb[offBatchLength:], uint32(len(nb)-LogOverhead))
	attrs := be.Uint16(nb[offAttributes:])&^attrCompressionMask | uint16(c)
	be.PutUint16(nb[offAttributes:], attrs)
	updateCRC(nb)
	return dst, nil
}

// CompressLevel appends src compressed with codec c to dst. level is
// Kafka's for that codec: gzip 1-9 or -1 (default), lz4 1-17 (9, Kafka's
// default, is lz4's fast mode; others its high-compression mode, capped
// at 9 here), zstd -131072..22 (0 = zstd's default, 3); snappy has none.
// Snappy is framed like the Java client's (xerial), as Kafka's broker
// writes it.
func CompressLevel(dst []byte, c Compression, level int, src []byte) ([]byte, error) {
	w := appendWriter{b: dst}
	switch c {
	case CompressionNone:
		return append(dst, src...), nil
	case CompressionGzip:
		if level < -1 || level > 9 || level == 0 {
			level = DefaultGzipLevel
		}
		p := &gzipWriters[level+1]
		zw, _ := p.Get().(*gzip.Writer)
		if zw == nil {
			var err error
			if zw, err = gzip.NewWriterLevel(&w, level); err != nil {
				return dst, err
			}
		} else {
			zw.Reset(&w)
		}
		_, err := zw.Write(src)
		if cerr := zw.Close(); err == nil {
			err = cerr
		}
		zw.Reset(nil)
		p.Put(zw)
		return w.b, err
	case CompressionSnappy:
		out, err := Compress(CompressionSnappy, src, true)
		return append(dst, out...), err
	case CompressionLZ4:
		i := lz4Index(level)
		p := &lz4Writers[i]
		lw, _ := p.Get().(*lz4.Writer)
		if lw == nil {
			lw = lz4.NewWriter(&w)
			// 64 KiB blocks, as Kafka's Lz4BlockOutputStream writes: a
			// pooled writer then holds ~128 KiB instead of ~8 MiB.
			if err := lw.Apply(lz4.CompressionLevelOption(lz4Levels[i]), lz4.BlockSizeOption(lz4.Block64Kb)); err != nil {
				return dst, err
			}
		} else {
			lw.Reset(&w)
		}
		_, err := lw.Write(src)
		if cerr := lw.Close(); err == nil {
			err = cerr
		}
		lw.Reset(nil)
		p.Put(lw)
		return w.b, err
	case CompressionZstd:
		if level == 0 {
			level = DefaultZstdLevel
		}
		return zstdEncoder(zstd.EncoderLevelFromZstd(level)).EncodeAll(src, dst), nil
	}
	return dst, fmt.Errorf("%w: unknown codec %d", ErrCorrupt, c)
}

// appendWriter is an io.Writer appending to b.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

var (
	gzipWriters [11]sync.Pool // by level+1, -1..9
	lz4Writers  [10]sync.Pool // by lz4Index
	lz4Levels   = [10]lz4.CompressionLevel{lz4.Fast, lz4.Level1, lz4.Level2, lz4.Level3,
		lz4.Level4, lz4.Level5, lz4.Level6, lz4.Level7, lz4.Level8, lz4.Level9}
	zstdEncoders sync.Map // zstd.EncoderLevel → *zstd.Encoder (EncodeAll is safe concurrently)
)

// lz4Index maps Kafka's lz4 level to lz4Levels: Kafka's default (9) uses
// lz4-java's fast compressor, any other level its high-compression one.
func lz4Index(level int) int {
	if level == DefaultLZ4Level || level < 1 || level > 17 {
		return 0
	}
	return min(level, 9)
}

func zstdEncoder(l zstd.EncoderLevel) *zstd.Encoder {
	if v, ok := zstdEncoders.Load(l); ok {
		return v.(*zstd.Encoder)
	}
	e, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(l))
	if err != nil {
		panic(fmt.Sprintf("record: zstd encoder at level %v: %v", l, err))
	}
	v, loaded := zstdEncoders.LoadOrStore(l, e)
	if loaded {
		e.Close()
	}
	return v.(*zstd.Encoder)
}
