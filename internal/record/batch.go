package record

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Byte offsets of the RecordBatch v2 header fields (see doc.go).
const (
	offBaseOffset      = 0
	offBatchLength     = 8
	offLeaderEpoch     = 12
	offMagic           = 16
	offCRC             = 17
	offAttributes      = 21
	offLastOffsetDelta = 23
	offBaseTimestamp   = 27
	offMaxTimestamp    = 35
	offProducerID      = 43
	offProducerEpoch   = 51
	offBaseSequence    = 53
	offRecordCount     = 57

	// LogOverhead is baseOffset + batchLength: the bytes not counted by batchLength.
	LogOverhead = 12
	// HeaderSize is the fixed RecordBatch v2 header, up to the first record.
	HeaderSize = 61
	// MagicV2 is the only batch format Strom accepts.
	MagicV2 = 2
)

// Attribute bits.
const (
	attrCompressionMask = 0x07
	attrLogAppendTime   = 0x08
	attrTransactional   = 0x10
	attrControl         = 0x20
)

// Compression is the codec in attributes bits 0-2. Persisted: numbers are fixed.
type Compression int8

const (
	CompressionNone   Compression = 0
	CompressionGzip   Compression = 1
	CompressionSnappy Compression = 2
	CompressionLZ4    Compression = 3
	CompressionZstd   Compression = 4
)

func (c Compression) String() string {
	switch c {
	case CompressionNone:
		return "none"
	case CompressionGzip:
		return "gzip"
	case CompressionSnappy:
		return "snappy"
	case CompressionLZ4:
		return "lz4"
	case CompressionZstd:
		return "zstd"
	}
	return fmt.Sprintf("compression(%d)", int8(c))
}

// Errors. Callers classify with errors.Is; messages carry the detail.
var (
	// ErrTruncated: the buffer ends inside a batch (torn write, short read).
	ErrTruncated = errors.New("record: truncated batch")
	// ErrCorrupt: CRC mismatch or impossible sizes (CORRUPT_MESSAGE).
	ErrCorrupt = errors.New("record: corrupt batch")
	// ErrInvalidRecord: the batch is intact but its contents break the rules (INVALID_RECORD).
	ErrInvalidRecord = errors.New("record: invalid record")
	// ErrUnsupportedMagic: magic is not 2.
	ErrUnsupportedMagic = errors.New("record: unsupported magic")
	// ErrTooLarge: decompressed records exceed the configured cap.
	ErrTooLarge = errors.New("record: decompressed batch too large")
)

// Header is the decoded fixed part of a batch.
type Header struct {
	BaseOffset           int64
	BatchLength          int32
	PartitionLeaderEpoch int32
	Magic                int8
	CRC                  uint32
	Attributes           int16
	LastOffsetDelta      int32
	BaseTimestamp        int64
	MaxTimestamp         int64
	ProducerID           int64
	ProducerEpoch        int16
	BaseSequence         int32
	RecordCount          int32
}

// Size is the full on-disk size of the batch including the log overhead.
func (h *Header) Size() int { return LogOverhead + int(h.BatchLength) }

// LastOffset is the offset of the batch's last record.
func (h *Header) LastOffset() int64 { return h.BaseOffset + int64(h.LastOffsetDelta) }

// NextOffset is the offset following the batch.
func (h *Header) NextOffset() int64 { return h.LastOffset() + 1 }

func (h *Header) Compression() Compression {
	return Compression(h.Attributes & attrCompressionMask)
}
func (h *Header) IsLogAppendTime() bool { return h.Attributes&attrLogAppendTime != 0 }
func (h *Header) IsTransactional() bool { return h.Attributes&attrTransactional != 0 }
func (h *Header) IsControl() bool       { return h.Attributes&attrControl != 0 }
func (h *Header) HasProducerID() bool   { return h.ProducerID >= 0 }

// LastSequence is the sequence of the last record, wrapping at MaxInt32 like
// Kafka's DefaultRecordBatch.incrementSequence.
func (h *Header) LastSequence() int32 {
	return IncrementSequence(h.BaseSequence, h.LastOffsetDelta)
}

// IncrementSequence adds delta to seq, wrapping past MaxInt32 to 0.
func IncrementSequence(seq, delta int32) int32 {
	if seq < 0 || delta < 0 { // no sequence, or garbage Validate rejects
		return seq
	}
	if seq > int32(^uint32(0)>>1)-delta {
		return delta - (int32(^uint32(0)>>1) - seq) - 1
	}
	return seq + delta
}

// ParseHeader decodes the fixed header. b must hold at least HeaderSize bytes;
// ParseHeader does not check batchLength against len(b) (Next does).
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, fmt.Errorf("%w: %d bytes, header needs %d", ErrTruncated, len(b), HeaderSize)
	}
	be := binary.BigEndian
	return Header{
		BaseOffset:           int64(be.Uint64(b[offBaseOffset:])),
		BatchLength:          int32(be.Uint32(b[offBatchLength:])),
		PartitionLeaderEpoch: int32(be.Uint32(b[offLeaderEpoch:])),
		Magic:                int8(b[offMagic]),
		CRC:                  be.Uint32(b[offCRC:]),
		Attributes:           int16(be.Uint16(b[offAttributes:])),
		LastOffsetDelta:      int32(be.Uint32(b[offLastOffsetDelta:])),
		BaseTimestamp:        int64(be.Uint64(b[offBaseTimestamp:])),
		MaxTimestamp:         int64(be.Uint64(b[offMaxTimestamp:])),
		ProducerID:           int64(be.Uint64(b[offProducerID:])),
		ProducerEpoch:        int16(be.Uint16(b[offProducerEpoch:])),
		BaseSequence:         int32(be.Uint32(b[offBaseSequence:])),
		RecordCount:          int32(be.Uint32(b[offRecordCount:])),
	}, nil
}

// BatchSize reads the total size (overhead + batchLength) of the batch at the
// start of b. It needs only LogOverhead bytes. A batchLength too small to hold
// a v2 header is ErrCorrupt; that is also how a zeroed (preallocated) tail
// shows up.
func BatchSize(b []byte) (int, error) {
	if len(b) < LogOverhead {
		return 0, fmt.Errorf("%w: %d bytes, need %d for the length", ErrTruncated, len(b), LogOverhead)
	}
	n := int32(binary.BigEndian.Uint32(b[offBatchLength:]))
	if n < HeaderSize-LogOverhead {
		return 0, fmt.Errorf("%w: batchLength %d below minimum %d", ErrCorrupt, n, HeaderSize-LogOverhead)
	}
	return LogOverhead + int(n), nil
}

// Next splits the first batch off buf without copying. It checks sizes only
// (no CRC): ErrTruncated when buf ends inside the batch, ErrCorrupt when the
// length field is impossible.
func Next(buf []byte) (batch, rest []byte, h Header, err error) {
	size, err := BatchSize(buf)
	if err != nil {
		return nil, buf, Header{}, err
	}
	if size > len(buf) {
		return nil, buf, Header{}, fmt.Errorf("%w: batch of %d bytes, %d available", ErrTruncated, size, len(buf))
	}
	h, err = ParseHeader(buf[:size])
	if err != nil {
		return nil, buf, Header{}, err
	}
	return buf[:size:size], buf[size:], h, nil
}

// Iter walks the batches of a buffer. The zero value of Err after the loop
// means the buffer ended exactly at a batch boundary.
//
//	it := record.Iter{Buf: b}
//	for it.Next() { use(it.Batch, it.Header) }
//	if it.Err != nil { ... }
type Iter struct {
	Buf    []byte // remaining bytes; advanced by Next
	Batch  []byte // the current batch
	Header Header // its header
	Pos    int    // byte position of Batch within the original buffer
	Err    error
	next   int
}

// Next advances to the following batch; it returns false at the end of the
// buffer or on error (see Err).
func (it *Iter) Next() bool {
	if it.Err != nil || len(it.Buf) == 0 {
		return false
	}
	b, rest, h, err := Next(it.Buf)
	if err != nil {
		it.Err = err
		return false
	}
	it.Pos = it.next
	it.next += len(b)
	it.Batch, it.Header, it.Buf = b, h, rest
	return true
}
