package record

import (
	"fmt"
)

// Limits bound the work Validate may do on one batch.
type Limits struct {
	// MaxDecompressedBytes caps the decompressed records section;
	// <= 0 means DefaultMaxDecompressedBytes.
	MaxDecompressedBytes int
}

// NoTimestamp is Kafka's RecordBatch.NO_TIMESTAMP: a record without one.
const NoTimestamp = -1

// Info is what Validate learned about a batch.
type Info struct {
	Header
	// MinTimestamp and MaxRecordTimestamp are the records' timestamps as a
	// consumer reads them, not trusted from the header: baseTimestamp +
	// timestampDelta, or for a LogAppendTime batch maxTimestamp for all.
	MinTimestamp       int64
	MaxRecordTimestamp int64
	// MinSetTimestamp and MaxSetTimestamp are the same over the records
	// whose timestamp is not NoTimestamp, which Kafka's bound checks skip
	// (message.timestamp.before/after.max.ms); MinSetTimestamp >
	// MaxSetTimestamp when no record has one.
	MinSetTimestamp int64
	MaxSetTimestamp int64
}

// CheckIntegrity verifies that batch is exactly one v2 batch with a matching
// CRC, without looking at the records. Recovery uses it: Kafka's
// LogSegment.recover does the same (ensureValid), leaving record-level
// checks to the produce path.
func CheckIntegrity(batch []byte) (Header, error) {
	h, err := ParseHeader(batch)
	if err != nil {
		return h, err
	}
	if h.BatchLength < HeaderSize-LogOverhead || h.Size() != len(batch) {
		return h, fmt.Errorf("%w: batchLength %d does not match %d bytes", ErrCorrupt, h.BatchLength, len(batch))
	}
	// Magic before CRC: an old-format batch has a different layout, so its
	// "CRC" would be noise and CORRUPT_MESSAGE the wrong answer.
	if h.Magic != MagicV2 {
		return h, fmt.Errorf("%w: magic %d", ErrUnsupportedMagic, h.Magic)
	}
	if got := ComputeCRC(batch); got != h.CRC {
		return h, fmt.Errorf("%w: crc %08x, computed %08x", ErrCorrupt, h.CRC, got)
	}
	return h, nil
}

// Validate fully checks one batch as the produce path must (Kafka's
// LogValidator): integrity, header invariants, and every record (decompressing
// if needed). It never panics and allocates only for compressed batches, from
// a pool, bounded by lim.
func Validate(batch []byte, lim Limits) (Info, error) {
	h, err := CheckIntegrity(batch)
	info := Info{Header: h}
	if err != nil {
		return info, err
	}
	if h.Compression() > CompressionZstd {
		return info, fmt.Errorf("%w: unknown compression codec %d", ErrCorrupt, h.Compression())
	}
	if h.LastOffsetDelta < 0 || h.RecordCount <= 0 || int64(h.RecordCount) != int64(h.LastOffsetDelta)+1 {
		return info, fmt.Errorf("%w: recordCount %d with lastOffsetDelta %d", ErrInvalidRecord, h.RecordCount, h.LastOffsetDelta)
	}
	// Transaction markers carry a producer id but no sequence (-1).
	if h.HasProducerID() && h.BaseSequence < 0 && !h.IsControl() {
		return info, fmt.Errorf("%w: producer %d with sequence %d", ErrInvalidRecord, h.ProducerID, h.BaseSequence)
	}
	st, err := walkBatch(batch, &h, lim, false, nil)
	if err != nil {
		return info, err
	}
	info.MinTimestamp, info.MaxRecordTimestamp = st.minTimestamp, st.maxTimestamp
	info.MinSetTimestamp, info.MaxSetTimestamp = st.minSetTimestamp, st.maxSetTimestamp
	if h.IsLogAppendTime() {
		// Readers give every record of a LogAppendTime batch its
		// maxTimestamp (Kafka's DefaultRecordBatch), whatever the deltas say.
		ts := h.MaxTimestamp
		info.MinTimestamp, info.MaxRecordTimestamp = ts, ts
		info.MinSetTimestamp, info.MaxSetTimestamp = ts, ts
		if ts == NoTimestamp {
			info.MinSetTimestamp, info.MaxSetTimestamp = 1<<63-1, -1<<63
		}
	}
	return info, nil
}

// walkBatch walks the records of a batch whose header is h, decompressing
// into a pooled buffer when needed.
func walkBatch(batch []byte, h *Header, lim Limits, gaps bool, fn func(*Record) bool) (walkStats, error) {
	body := batch[HeaderSize:]
	if h.Compression() == CompressionNone {
		// Each record takes at least 7 bytes (length, attributes,
		// timestampDelta, offsetDelta, key, value, headerCount), so a
		// recordCount that cannot fit is rejected before walking.
		if int64(h.RecordCount) > int64(len(body))/7+1 {
			return walkStats{}, fmt.Errorf("%w: %d records cannot fit in %d bytes", ErrInvalidRecord, h.RecordCount, len(body))
		}
		return walkRecords(body, h.RecordCount, h.BaseTimestamp, gaps, fn)
	}
	buf := getBuf()
	defer putBuf(buf)
	out, err := Decompress(h.Compression(), body, *buf, lim.MaxDecompressedBytes)
	*buf = out
	if err != nil {
		return walkStats{}, err
	}
	return walkRecords(out, h.RecordCount, h.BaseTimestamp, gaps, fn)
}

// ForEachRecord calls fn for each record of one batch (checking integrity
// first, decompressing if needed), stopping when fn returns false. Unlike
// Validate it accepts gaps in offsetDelta (strictly increasing): stored
// batches rewritten by the log cleaner have them. The Record
// passed to fn is reused and its slices are valid only during the call.
func ForEachRecord(batch []byte, lim Limits, fn func(h *Header, r *Record) bool) error {
	h, err := CheckIntegrity(batch)
	if err != nil {
		return err
	}
	_, err = walkBatch(batch, &h, lim, true, func(r *Record) bool { return fn(&h, r) })
	return err
}
