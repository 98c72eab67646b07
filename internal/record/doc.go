// Package record parses, validates and patches Kafka RecordBatch v2 (magic 2),
// the unit Strom stores on disk and serves on the wire unchanged.
//
// # Batch layout (big-endian; offsets in bytes from the batch start)
//
//	 0  baseOffset           int64   ┐ log overhead (12 bytes), not CRC-covered;
//	 8  batchLength          int32   ┘ batchLength counts the bytes after it
//	12  partitionLeaderEpoch int32     not CRC-covered (set by the leader)
//	16  magic                int8      must be 2
//	17  crc                  uint32    CRC-32C (Castagnoli) of bytes 21..end
//	21  attributes           int16     bits 0-2 compression (0 none, 1 gzip,
//	                                   2 snappy, 3 lz4, 4 zstd), bit 3 timestamp
//	                                   type (1 = LogAppendTime), bit 4
//	                                   transactional, bit 5 control
//	23  lastOffsetDelta      int32
//	27  baseTimestamp        int64
//	35  maxTimestamp         int64
//	43  producerId           int64     -1 = not idempotent
//	51  producerEpoch        int16
//	53  baseSequence         int32
//	57  recordCount          int32
//	61  records              []byte    recordCount records, compressed as a
//	                                   whole when attributes&7 != 0
//
// # Record layout (inside the records section, possibly after decompression)
//
//	length          varint  bytes that follow in this record
//	attributes      int8    unused
//	timestampDelta  varlong from baseTimestamp
//	offsetDelta     varint  must equal the record's index in the batch
//	keyLength       varint  -1 = null key
//	key             []byte
//	valueLength     varint  -1 = null value
//	value           []byte
//	headerCount     varint
//	headers         (keyLength varint, key, valueLength varint, value)*
//
// # Cost model
//
// Next and ParseHeader only read the fixed header. Validate checks the CRC and
// walks the records section: for uncompressed batches the walk reads varints in
// place and allocates nothing; for compressed batches the section is
// decompressed into a pooled buffer capped at Limits.MaxDecompressedBytes (the
// decompression-bomb defence) and then walked. The setters patch bytes in place
// and recompute the CRC only when a CRC-covered field changes. Recompress (a
// topic's compression.type) decompresses the same way and re-encodes only the
// records section, with pooled encoders per codec and level.
//
// Every function accepts untrusted bytes: lengths are checked before use and
// before any allocation, and garbage yields an error, never a panic.
package record
