package record

// Kafka varints are zigzag-encoded base-128 (protobuf sint32/sint64). These
// readers never panic: they return ok=false on a short buffer, an over-long
// encoding, or (for varint) a value that does not fit an int32.

func readVarlong(b []byte, pos int) (v int64, next int, ok bool) {
	var ux uint64
	var shift uint
	for i := 0; i < 10; i++ {
		if pos >= len(b) {
			return 0, pos, false
		}
		c := b[pos]
		pos++
		if i == 9 && c > 1 { // the 10th byte may hold only the top bit
			return 0, pos, false
		}
		ux |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return int64(ux>>1) ^ -int64(ux&1), pos, true
		}
		shift += 7
	}
	return 0, pos, false
}

func readVarint(b []byte, pos int) (v int32, next int, ok bool) {
	var ux uint32
	var shift uint
	for i := 0; i < 5; i++ {
		if pos >= len(b) {
			return 0, pos, false
		}
		c := b[pos]
		pos++
		if i == 4 && c > 0x0f { // 5th byte carries the top 4 bits of 32
			return 0, pos, false
		}
		ux |= uint32(c&0x7f) << shift
		if c < 0x80 {
			return int32(ux>>1) ^ -int32(ux&1), pos, true
		}
		shift += 7
	}
	return 0, pos, false
}

// AppendVarint appends the zigzag varint encoding of v (used by tests and
// by code that builds records, e.g. control batches).
func AppendVarint(dst []byte, v int32) []byte { return AppendVarlong(dst, int64(v)) }

// AppendVarlong appends the zigzag varlong encoding of v.
func AppendVarlong(dst []byte, v int64) []byte {
	ux := uint64(v<<1) ^ uint64(v>>63)
	for ux >= 0x80 {
		dst = append(dst, byte(ux)|0x80)
		ux >>= 7
	}
	return append(dst, byte(ux))
}
