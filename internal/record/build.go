package record

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// BatchSpec describes a batch to Build. The broker builds batches itself for
// control records and coordinator writes; tests build client-like batches.
type BatchSpec struct {
	BaseOffset           int64
	PartitionLeaderEpoch int32
	Compression          Compression
	XerialSnappy         bool // frame snappy like the Java client
	LogAppendTime        bool
	Transactional        bool
	Control              bool
	BaseTimestamp        int64
	MaxTimestamp         int64 // 0: computed from the records
	ProducerID           int64 // -1 for none
	ProducerEpoch        int16
	BaseSequence         int32
	Records              []NewRecord
}

// NewRecord is one record for Build. Headers alternate key, value.
type NewRecord struct {
	TimestampDelta int64
	Key, Value     []byte
	Headers        [][]byte
}

func appendNullable(dst, b []byte) []byte {
	if b == nil {
		return AppendVarint(dst, -1)
	}
	return append(AppendVarint(dst, int32(len(b))), b...)
}

func appendRecord(dst []byte, i int, r *NewRecord) []byte {
	var body []byte
	body = append(body, 0)
	body = AppendVarlong(body, r.TimestampDelta)
	body = AppendVarint(body, int32(i))
	body = appendNullable(body, r.Key)
	body = appendNullable(body, r.Value)
	body = AppendVarint(body, int32(len(r.Headers)/2))
	for j := 0; j+1 < len(r.Headers); j += 2 {
		body = appendNullable(body, r.Headers[j])
		body = appendNullable(body, r.Headers[j+1])
	}
	dst = AppendVarint(dst, int32(len(body)))
	return append(dst, body...)
}

var zstdEnc = sync.OnceValue(func() *zstd.Encoder {
	e, err := zstd.NewWriter(nil)
	if err != nil {
		panic(fmt.Sprintf("record: zstd encoder: %v", err))
	}
	return e
})

// Compress compresses a records section with codec c.
func Compress(c Compression, src []byte, xerial bool) ([]byte, error) {
	var buf bytes.Buffer
	switch c {
	case CompressionNone:
		return src, nil
	case CompressionGzip:
		w := gzip.NewWriter(&buf)
		w.Write(src)
		if err := w.Close(); err != nil {
			return nil, err
		}
	case CompressionSnappy:
		if !xerial {
			return snappy.Encode(nil, src), nil
		}
		buf.Write(xerialHeader)
		buf.Write([]byte{0, 0, 0, 1, 0, 0, 0, 1})
		for len(src) > 0 {
			n := min(len(src), 32<<10)
			blk := snappy.Encode(nil, src[:n])
			buf.Write(binary.BigEndian.AppendUint32(nil, uint32(len(blk))))
			buf.Write(blk)
			src = src[n:]
		}
	case CompressionLZ4:
		w := lz4.NewWriter(&buf)
		w.Write(src)
		if err := w.Close(); err != nil {
			return nil, err
		}
	case CompressionZstd:
		return zstdEnc().EncodeAll(src, nil), nil
	default:
		return nil, fmt.Errorf("%w: unknown codec %d", ErrCorrupt, c)
	}
	return buf.Bytes(), nil
}

// Build appends a complete batch (CRC set) to dst.
func Build(dst []byte, s BatchSpec) ([]byte, error) {
	if len(s.Records) == 0 {
		return dst, fmt.Errorf("%w: no records", ErrInvalidRecord)
	}
	var recs []byte
	maxTS := s.BaseTimestamp
	for i := range s.Records {
		recs = appendRecord(recs, i, &s.Records[i])
		maxTS = max(maxTS, s.BaseTimestamp+s.Records[i].TimestampDelta)
	}
	if s.MaxTimestamp != 0 {
		maxTS = s.MaxTimestamp
	}
	body, err := Compress(s.Compression, recs, s.XerialSnappy)
	if err != nil {
		return dst, err
	}
	attrs := uint16(s.Compression)
	if s.LogAppendTime {
		attrs |= attrLogAppendTime
	}
	if s.Transactional {
		attrs |= attrTransactional
	}
	if s.Control {
		attrs |= attrControl
	}
	start := len(dst)
	be := binary.BigEndian
	dst = be.AppendUint64(dst, uint64(s.BaseOffset))
	dst = be.AppendUint32(dst, uint32(HeaderSize-LogOverhead+len(body)))
	dst = be.AppendUint32(dst, uint32(s.PartitionLeaderEpoch))
	dst = append(dst, MagicV2, 0, 0, 0, 0)
	dst = be.AppendUint16(dst, attrs)
	dst = be.AppendUint32(dst, uint32(len(s.Records)-1))
	dst = be.AppendUint64(dst, uint64(s.BaseTimestamp))
	dst = be.AppendUint64(dst, uint64(maxTS))
	dst = be.AppendUint64(dst, uint64(s.ProducerID))
	dst = be.AppendUint16(dst, uint16(s.ProducerEpoch))
	dst = be.AppendUint32(dst, uint32(s.BaseSequence))
	dst = be.AppendUint32(dst, uint32(len(s.Records)))
	dst = append(dst, body...)
	updateCRC(dst[start:])
	return dst, nil
}
