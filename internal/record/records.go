package record

import "fmt"

// Record is a view of one record inside a (decompressed) records section.
// Its slices alias the section and are valid only as long as it is; Key or
// Value is nil when the record's is null.
type Record struct {
	Attributes     int8
	TimestampDelta int64
	OffsetDelta    int32
	Key            []byte
	Value          []byte
	HeaderCount    int32
	RawHeaders     []byte // headerCount headers in wire form; see ForEachHeader
}

// ForEachHeader calls fn for each header (value nil when null). RawHeaders was
// validated by the walk that produced r, so this cannot fail.
func (r *Record) ForEachHeader(fn func(key, value []byte)) {
	pos := 0
	for i := int32(0); i < r.HeaderCount; i++ {
		var k, v []byte
		k, pos, _ = readBytes(r.RawHeaders, pos, false)
		v, pos, _ = readBytes(r.RawHeaders, pos, true)
		fn(k, v)
	}
}

// readBytes reads a varint length and that many bytes. Null (-1) is allowed
// only when nullable.
func readBytes(b []byte, pos int, nullable bool) ([]byte, int, bool) {
	n, pos, ok := readVarint(b, pos)
	if !ok {
		return nil, pos, false
	}
	if n < 0 {
		return nil, pos, n == -1 && nullable
	}
	if int(n) > len(b)-pos {
		return nil, pos, false
	}
	return b[pos : pos+int(n) : pos+int(n)], pos + int(n), true
}

// parseRecord decodes one record body (after its length varint).
func parseRecord(body []byte, r *Record) error {
	if len(body) < 1 {
		return fmt.Errorf("%w: empty record", ErrInvalidRecord)
	}
	r.Attributes = int8(body[0])
	pos := 1
	var ok bool
	if r.TimestampDelta, pos, ok = readVarlong(body, pos); !ok {
		return fmt.Errorf("%w: bad timestampDelta", ErrInvalidRecord)
	}
	if r.OffsetDelta, pos, ok = readVarint(body, pos); !ok {
		return fmt.Errorf("%w: bad offsetDelta", ErrInvalidRecord)
	}
	if r.Key, pos, ok = readBytes(body, pos, true); !ok {
		return fmt.Errorf("%w: bad key", ErrInvalidRecord)
	}
	if r.Value, pos, ok = readBytes(body, pos, true); !ok {
		return fmt.Errorf("%w: bad value", ErrInvalidRecord)
	}
	if r.HeaderCount, pos, ok = readVarint(body, pos); !ok || r.HeaderCount < 0 {
		return fmt.Errorf("%w: bad header count", ErrInvalidRecord)
	}
	hstart := pos
	for i := int32(0); i < r.HeaderCount; i++ {
		// A header needs at least two bytes, so a garbage count fails fast
		// on the length checks instead of looping 2^31 times.
		if _, pos, ok = readBytes(body, pos, false); !ok {
			return fmt.Errorf("%w: bad header %d key", ErrInvalidRecord, i)
		}
		if _, pos, ok = readBytes(body, pos, true); !ok {
			return fmt.Errorf("%w: bad header %d value", ErrInvalidRecord, i)
		}
	}
	r.RawHeaders = body[hstart:pos:pos]
	if pos != len(body) {
		return fmt.Errorf("%w: %d trailing bytes in record", ErrInvalidRecord, len(body)-pos)
	}
	return nil
}

// walkStats summarises a records section: record timestamps
// (baseTimestamp + timestampDelta) over all records, and over those whose
// timestamp is not NoTimestamp ("set"); a min above its max means none.
type walkStats struct {
	minTimestamp, maxTimestamp       int64
	minSetTimestamp, maxSetTimestamp int64
}

// walkRecords checks that data holds exactly count well-formed records whose
// offsetDeltas are 0..count-1 (with gaps: strictly increasing), calling fn
// (if non-nil) for each; fn returning false stops the walk early without
// error. base is the batch's baseTimestamp.
func walkRecords(data []byte, count int32, base int64, gaps bool, fn func(*Record) bool) (walkStats, error) {
	st := walkStats{minTimestamp: 1<<63 - 1, maxTimestamp: -1 << 63, minSetTimestamp: 1<<63 - 1, maxSetTimestamp: -1 << 63}
	pos := 0
	var r Record
	var prevDelta int32
	for i := int32(0); i < count; i++ {
		n, next, ok := readVarint(data, pos)
		if !ok || n < 0 || int(n) > len(data)-next {
			return st, fmt.Errorf("%w: record %d of %d: bad length", ErrInvalidRecord, i, count)
		}
		pos = next + int(n)
		if err := parseRecord(data[next:pos], &r); err != nil {
			return st, fmt.Errorf("record %d of %d: %w", i, count, err)
		}
		if gaps && r.OffsetDelta >= i && (i == 0 || r.OffsetDelta > prevDelta) {
			prevDelta = r.OffsetDelta
		} else if r.OffsetDelta != i {
			return st, fmt.Errorf("%w: record %d has offsetDelta %d", ErrInvalidRecord, i, r.OffsetDelta)
		}
		ts := base + r.TimestampDelta // wraps like Kafka's long arithmetic
		st.minTimestamp, st.maxTimestamp = min(st.minTimestamp, ts), max(st.maxTimestamp, ts)
		if ts != NoTimestamp {
			st.minSetTimestamp, st.maxSetTimestamp = min(st.minSetTimestamp, ts), max(st.maxSetTimestamp, ts)
		}
		if fn != nil && !fn(&r) {
			return st, nil
		}
	}
	if pos != len(data) {
		return st, fmt.Errorf("%w: %d bytes after the last of %d records", ErrInvalidRecord, len(data)-pos, count)
	}
	return st, nil
}
