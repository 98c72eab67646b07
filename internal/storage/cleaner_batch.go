package storage

import (
	"encoding/binary"
	"fmt"

	"github.com/strom-project/strom/internal/record"
)

// Batch attribute bits the cleaner reads or sets (RecordBatch v2).
const (
	attrTimestampType = 0x08
	attrTransactional = 0x10
	attrControl       = 0x20
	// attrDeleteHorizon (KIP-534): baseTimestamp holds the time after which
	// the batch's tombstones may be removed.
	attrDeleteHorizon = 0x40
	// Header field offsets used when writing a rebuilt batch.
	offCRC        = 17
	offAttributes = 21
)

// batchFilter decides, batch by batch, what a cleaning round keeps (Kafka's
// Cleaner.cleanInto filter plus MemoryRecords.filterTo).
type batchFilter struct {
	m                 *offsetMap
	now               int64
	deleteRetentionMs int64
	// producerLast maps each producer with state to the last offset of its
	// last data batch: that batch is kept even when emptied, so the
	// producer's sequence and epoch survive a restart (RETAIN_EMPTY).
	producerLast map[int64]int64
	// roundEnd is the first offset the round does not clean: the batch
	// ending just below it is kept even if emptied, so the log's last
	// offset information is not lost.
	roundEnd int64
	lim      record.Limits
	txn      *txnTracker
	arena    []byte // scratch for retained records
	kept     []keptRecord
}

// keptRecord is a retained record with its slices into batchFilter.arena.
type keptRecord struct {
	attrs                  int8
	timestamp              int64
	offsetDelta, headerCnt int32
	key, value, rawHeaders span
	nullKey, nullValue     bool
}

type span struct{ off, n int }

func (f *batchFilter) save(b []byte) span {
	s := span{len(f.arena), len(b)}
	f.arena = append(f.arena, b...)
	return s
}

func (f *batchFilter) bytes(s span) []byte { return f.arena[s.off : s.off+s.n] }

// filter appends what survives of batch (header h) to dst.
func (f *batchFilter) filter(dst, batch []byte, h *record.Header) ([]byte, error) {
	if h.IsControl() {
		return f.filterMarker(dst, batch, h)
	}
	if f.txn.onData(h) {
		return f.dropAll(dst, h), nil // aborted: no record survives
	}
	f.arena, f.kept = f.arena[:0], f.kept[:0]
	horizon, hasHorizon := int64(0), h.Attributes&attrDeleteHorizon != 0
	if hasHorizon {
		horizon = h.BaseTimestamp
	}
	dropped, tombstones := false, false
	err := record.ForEachRecord(batch, f.lim, func(h *record.Header, r *record.Record) bool {
		off := h.BaseOffset + int64(r.OffsetDelta)
		keep := off > f.m.latestOffset // beyond what the map covers: not examined
		if !keep && r.Key != nil && off >= f.m.get(r.Key) {
			// The latest value for its key; a tombstone only until its
			// delete horizon has passed.
			keep = r.Value != nil || !hasHorizon || f.now < horizon
		}
		if !keep {
			dropped = true
			return true
		}
		tombstones = tombstones || r.Value == nil
		f.keep(h, r)
		return true
	})
	if err != nil {
		return dst, fmt.Errorf("%w: cleaning batch at %d: %v", ErrCorruptMessage, h.BaseOffset, err)
	}
	needHorizon := tombstones && !hasHorizon
	switch {
	case len(f.kept) > 0 && !dropped && !needHorizon:
		return append(dst, batch...), nil
	case len(f.kept) > 0:
		base := h.BaseTimestamp
		attrs := h.Attributes
		if needHorizon {
			base, attrs = f.now+f.deleteRetentionMs, attrs|attrDeleteHorizon
		}
		return f.rebuild(dst, h, attrs, base)
	default:
		return f.dropAll(dst, h), nil
	}
}

// filterMarker keeps a control batch while it guards data (txnTracker),
// then gives it a delete horizon, and drops it once that has passed.
func (f *batchFilter) filterMarker(dst, batch []byte, h *record.Header) ([]byte, error) {
	if h.RecordCount == 0 {
		return f.dropAll(dst, h), nil // a marker emptied by an earlier round
	}
	if !f.txn.onMarker(batch, h) {
		return append(dst, batch...), nil
	}
	if h.Attributes&attrDeleteHorizon != 0 {
		if f.now < h.BaseTimestamp {
			return append(dst, batch...), nil
		}
		return f.dropAll(dst, h), nil
	}
	f.arena, f.kept = f.arena[:0], f.kept[:0]
	err := record.ForEachRecord(batch, f.lim, func(h *record.Header, r *record.Record) bool {
		f.keep(h, r)
		return true
	})
	if err != nil {
		return dst, fmt.Errorf("%w: cleaning marker at %d: %v", ErrCorruptMessage, h.BaseOffset, err)
	}
	return f.rebuild(dst, h, h.Attributes|attrDeleteHorizon, f.now+f.deleteRetentionMs)
}

// keep retains r (of the batch with header h) for rebuild.
func (f *batchFilter) keep(h *record.Header, r *record.Record) {
	f.kept = append(f.kept, keptRecord{attrs: r.Attributes, timestamp: h.BaseTimestamp + r.TimestampDelta,
		offsetDelta: r.OffsetDelta, headerCnt: r.HeaderCount, key: f.save(r.Key), value: f.save(r.Value),
		rawHeaders: f.save(r.RawHeaders), nullKey: r.Key == nil, nullValue: r.Value == nil})
}

// dropAll removes a batch's records: the batch goes, or stays empty when
// Kafka's RETAIN_EMPTY rule needs its offsets or producer fields.
func (f *batchFilter) dropAll(dst []byte, h *record.Header) []byte {
	if f.retainEmpty(h) {
		return appendEmptyBatch(dst, h)
	}
	return dst
}

// retainEmpty is Kafka's RETAIN_EMPTY rule for a batch left with no records.
func (f *batchFilter) retainEmpty(h *record.Header) bool {
	if h.HasProducerID() {
		if last, ok := f.producerLast[h.ProducerID]; ok && last == h.LastOffset() {
			return true
		}
	}
	return h.NextOffset() == f.roundEnd
}

// rebuild encodes the kept records into a batch with h's base offset, last
// offset delta, producer fields, leader epoch and codec; timestamps are
// re-expressed relative to base.
func (f *batchFilter) rebuild(dst []byte, h *record.Header, attrs int16, base int64) ([]byte, error) {
	var recs []byte
	maxTS := int64(-1 << 63)
	for i := range f.kept {
		k := &f.kept[i]
		var body []byte
		body = append(body, byte(k.attrs))
		body = record.AppendVarlong(body, k.timestamp-base)
		body = record.AppendVarint(body, k.offsetDelta)
		body = appendNullableBytes(body, f.bytes(k.key), k.nullKey)
		body = appendNullableBytes(body, f.bytes(k.value), k.nullValue)
		body = record.AppendVarint(body, k.headerCnt)
		body = append(body, f.bytes(k.rawHeaders)...)
		recs = record.AppendVarint(recs, int32(len(body)))
		recs = append(recs, body...)
		maxTS = max(maxTS, k.timestamp)
	}
	if h.IsLogAppendTime() {
		maxTS = h.MaxTimestamp
	}
	comp := h.Compression()
	payload, err := record.Compress(comp, recs, comp == record.CompressionSnappy)
	if err != nil {
		return dst, fmt.Errorf("%w: recompressing batch at %d: %v", ErrStorage, h.BaseOffset, err)
	}
	hdr := *h
	hdr.Attributes, hdr.BaseTimestamp, hdr.MaxTimestamp = attrs, base, maxTS
	hdr.RecordCount = int32(len(f.kept))
	return appendBatch(dst, &hdr, payload), nil
}

func appendNullableBytes(dst, b []byte, null bool) []byte {
	if null {
		return record.AppendVarint(dst, -1)
	}
	return append(record.AppendVarint(dst, int32(len(b))), b...)
}

// appendEmptyBatch writes Kafka's empty batch (writeEmptyHeader): no
// records, h's offsets, producer fields and epoch, timestamps = its max.
func appendEmptyBatch(dst []byte, h *record.Header) []byte {
	hdr := *h
	hdr.Attributes &= attrTimestampType | attrTransactional | attrControl
	hdr.BaseTimestamp, hdr.RecordCount = h.MaxTimestamp, 0
	return appendBatch(dst, &hdr, nil)
}

// appendBatch writes a v2 batch header for hdr followed by payload and sets
// the CRC.
func appendBatch(dst []byte, hdr *record.Header, payload []byte) []byte {
	be := binary.BigEndian
	start := len(dst)
	dst = be.AppendUint64(dst, uint64(hdr.BaseOffset))
	dst = be.AppendUint32(dst, uint32(record.HeaderSize-record.LogOverhead+len(payload)))
	dst = be.AppendUint32(dst, uint32(hdr.PartitionLeaderEpoch))
	dst = append(dst, record.MagicV2, 0, 0, 0, 0)
	dst = be.AppendUint16(dst, uint16(hdr.Attributes))
	dst = be.AppendUint32(dst, uint32(hdr.LastOffsetDelta))
	dst = be.AppendUint64(dst, uint64(hdr.BaseTimestamp))
	dst = be.AppendUint64(dst, uint64(hdr.MaxTimestamp))
	dst = be.AppendUint64(dst, uint64(hdr.ProducerID))
	dst = be.AppendUint16(dst, uint16(hdr.ProducerEpoch))
	dst = be.AppendUint32(dst, uint32(hdr.BaseSequence))
	dst = be.AppendUint32(dst, uint32(hdr.RecordCount))
	dst = append(dst, payload...)
	b := dst[start:]
	be.PutUint32(b[offCRC:], record.ComputeCRC(b))
	return dst
}
