package record

import (
	"encoding/binary"
	"hash/crc32"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ComputeCRC returns the CRC-32C over attributes..end of one batch.
// batch must hold at least HeaderSize bytes.
func ComputeCRC(batch []byte) uint32 {
	return crc32.Checksum(batch[offAttributes:], castagnoli)
}

func updateCRC(batch []byte) {
	binary.BigEndian.PutUint32(batch[offCRC:], ComputeCRC(batch))
}

// SetBaseOffset writes the base offset (bytes 0-7, outside the CRC).
func SetBaseOffset(batch []byte, offset int64) {
	binary.BigEndian.PutUint64(batch[offBaseOffset:], uint64(offset))
}

// SetPartitionLeaderEpoch writes bytes 12-15 (outside the CRC).
func SetPartitionLeaderEpoch(batch []byte, epoch int32) {
	binary.BigEndian.PutUint32(batch[offLeaderEpoch:], uint32(epoch))
}

// SetLogAppendTime marks the batch LogAppendTime with maxTimestamp = ts and
// recomputes the CRC, as Kafka's DefaultRecordBatch.setMaxTimestamp does.
// Record timestamp deltas are left alone: consumers read every record's
// timestamp as maxTimestamp for LogAppendTime batches.
func SetLogAppendTime(batch []byte, ts int64) {
	attrs := binary.BigEndian.Uint16(batch[offAttributes:]) | attrLogAppendTime
	binary.BigEndian.PutUint16(batch[offAttributes:], attrs)
	binary.BigEndian.PutUint64(batch[offMaxTimestamp:], uint64(ts))
	updateCRC(batch)
}

// SetMaxTimestamp makes the batch CreateTime with maxTimestamp = ts (used
// when a client's header disagrees with its records, or a client marked its
// batch LogAppendTime for a CreateTime topic, like Kafka's
// setMaxTimestamp(CREATE_TIME, ts)) and recomputes the CRC. It is a no-op
// when the batch already says so.
func SetMaxTimestamp(batch []byte, ts int64) {
	attrs := binary.BigEndian.Uint16(batch[offAttributes:])
	if int64(binary.BigEndian.Uint64(batch[offMaxTimestamp:])) == ts && attrs&attrLogAppendTime == 0 {
		return
	}
	binary.BigEndian.PutUint16(batch[offAttributes:], attrs&^attrLogAppendTime)
	binary.BigEndian.PutUint64(batch[offMaxTimestamp:], uint64(ts))
	updateCRC(batch)
}
