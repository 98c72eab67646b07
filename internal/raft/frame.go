package raft

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// Every record in the WAL and the snapshot file, and every record a raft
// connection carries after its preface (wire.go), is one frame:
//
//	frame := length:u32 crc:u32 payload[length]      (big-endian)
//	crc   =  CRC-32C (Castagnoli) of payload
//	payload := kind:u8 body
//
// A frame whose length runs past the end of the file or whose CRC does not
// match ends the readable log (a torn write); the reader reports the offset
// of the last good frame so the tail can be truncated.

const frameHeader = 8

// maxFrame bounds a single frame (a metadata entry or a snapshot) so a
// corrupt length can never make us allocate gigabytes.
const maxFrame = 1 << 30

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// frameKind is persisted: never renumber.
type frameKind uint8

const (
	kindEntry     frameKind = 1 // index:u64 term:u64 type:u8 data
	kindHardState frameKind = 2 // term:u64 vote:u64 commit:u64
	kindSnapshot  frameKind = 3 // index:u64 term:u64 confLen:u32 conf(proto ConfState) data
	kindHello     frameKind = 4 // (wire) nodeID:i32, the sender's Kafka node id
	kindMessage   frameKind = 5 // (wire) a marshalled raftpb.Message
)

var errTorn = errors.New("raft: torn or corrupt frame")

func appendFrame(dst []byte, kind frameKind, body ...[]byte) []byte {
	n := 1
	for _, b := range body {
		n += len(b)
	}
	start := len(dst)
	dst = binary.BigEndian.AppendUint32(dst, uint32(n))
	dst = binary.BigEndian.AppendUint32(dst, 0)
	dst = append(dst, byte(kind))
	for _, b := range body {
		dst = append(dst, b...)
	}
	crc := crc32.Checksum(dst[start+frameHeader:], castagnoli)
	binary.BigEndian.PutUint32(dst[start+4:], crc)
	return dst
}

// nextFrame parses the frame at the start of buf, returning its payload and
// total size, or errTorn.
func nextFrame(buf []byte) (payload []byte, size int, err error) {
	if len(buf) < frameHeader {
		return nil, 0, fmt.Errorf("%w: %d header bytes", errTorn, len(buf))
	}
	n := binary.BigEndian.Uint32(buf)
	if n == 0 || n > maxFrame || uint64(n) > uint64(len(buf)-frameHeader) {
		return nil, 0, fmt.Errorf("%w: length %d with %d bytes left", errTorn, n, len(buf)-frameHeader)
	}
	payload = buf[frameHeader : frameHeader+int(n)]
	if crc32.Checksum(payload, castagnoli) != binary.BigEndian.Uint32(buf[4:]) {
		return nil, 0, fmt.Errorf("%w: crc mismatch", errTorn)
	}
	return payload, frameHeader + int(n), nil
}
