package storage

import (
	"fmt"
	"strings"

	"github.com/strom-project/strom/internal/record"
)

// CompressionType is a topic's compression.type. Persisted nowhere, but
// numbered explicitly; the zero value is Kafka's default, producer.
type CompressionType int8

const (
	CompressionProducer     CompressionType = 0 // keep each batch's codec
	CompressionUncompressed CompressionType = 1
	CompressionGzip         CompressionType = 2
	CompressionSnappy       CompressionType = 3
	CompressionLZ4          CompressionType = 4
	CompressionZstd         CompressionType = 5
)

// ParseCompressionType maps a compression.type value; anything unknown
// (the registry validates it) is producer.
func ParseCompressionType(s string) CompressionType {
	switch strings.TrimSpace(s) {
	case "uncompressed":
		return CompressionUncompressed
	case "gzip":
		return CompressionGzip
	case "snappy":
		return CompressionSnappy
	case "lz4":
		return CompressionLZ4
	case "zstd":
		return CompressionZstd
	}
	return CompressionProducer
}

// CompressionConfig is a topic's final compression: compression.type with
// the KIP-390 levels compression.gzip.level, compression.lz4.level and
// compression.zstd.level (0 means the codec's Kafka default).
type CompressionConfig struct {
	Type      CompressionType
	GzipLevel int
	LZ4Level  int
	ZstdLevel int
}

// target is the codec and level batches are re-encoded with; ok is false
// under compression.type=producer.
func (c *CompressionConfig) target() (codec record.Compression, level int, ok bool) {
	switch c.Type {
	case CompressionUncompressed:
		return record.CompressionNone, 0, true
	case CompressionGzip:
		return record.CompressionGzip, c.GzipLevel, true
	case CompressionSnappy:
		return record.CompressionSnappy, 0, true
	case CompressionLZ4:
		return record.CompressionLZ4, c.LZ4Level, true
	case CompressionZstd:
		return record.CompressionZstd, c.ZstdLevel, true
	}
	return 0, 0, false
}

// Decompression cap. Kafka bounds only the compressed batch
// (max.message.bytes); Strom also bounds what a batch may inflate to, so a
// small batch cannot make the broker allocate gigabytes (a decompression
// bomb): 16 × max(max.message.bytes, 4 MiB), i.e. 64 MiB at the defaults.
// The floor keeps batches any real producer sends (a producer's batch is
// at most a few MiB before compression by default) well inside it.
const (
	decompressFactor = 16
	decompressFloor  = record.DefaultMaxDecompressedBytes / decompressFactor
)

// decompressLimits is the cap for a log with configuration cfg, used by
// every decompression of its batches (produce validation, recompression,
// the cleaner).
func decompressLimits(cfg *LogConfig) record.Limits {
	return record.Limits{MaxDecompressedBytes: decompressFactor * max(int(cfg.MaxMessageBytes), decompressFloor)}
}

// recompress applies the topic's compression.type to a leader's append
// (Kafka's LogValidator): each batch whose codec differs from the topic's
// is re-encoded, and records is rebuilt when any was, with the batches
// re-pointed into it. Control batches are never recompressed, and
// followers (AppendReplication) keep the leader's bytes. A re-encoded
// batch over max.message.bytes is MESSAGE_TOO_LARGE, as in Kafka.
func recompress(records []byte, batches []pendingBatch, origin AppendOrigin, cfg *LogConfig) ([]byte, error) {
	codec, level, ok := cfg.Compression.target()
	if !ok || origin == AppendReplication {
		return records, nil
	}
	need := false
	for i := range batches {
		need = need || needsRecompress(&batches[i].h, codec)
	}
	if !need {
		return records, nil
	}
	lim := decompressLimits(cfg)
	out := make([]byte, 0, len(records)+len(records)/8)
	ends := make([]int, len(batches))
	for i := range batches {
		p := &batches[i]
		start := len(out)
		if !needsRecompress(&p.h, codec) {
			out = append(out, p.b...)
		} else {
			var err error
			if out, err = record.Recompress(out, p.b, codec, level, lim); err != nil {
				return nil, mapRecordError(err)
			}
			if n := len(out) - start; n > int(cfg.MaxMessageBytes) {
				return nil, fmt.Errorf("%w: batch of %d bytes once recompressed with %v, max.message.bytes %d",
					ErrRecordTooLarge, n, codec, cfg.MaxMessageBytes)
			}
		}
		ends[i] = len(out)
	}
	// Re-point only now: appends may have moved out.
	start := 0
	for i := range batches {
		p := &batches[i]
		p.b = out[start:ends[i]:ends[i]]
		h, err := record.ParseHeader(p.b)
		if err != nil {
			return nil, fmt.Errorf("%w: recompressed batch: %v", ErrCorruptMessage, err)
		}
		p.h, p.info.Header = h, h
		start = ends[i]
	}
	return out, nil
}

func needsRecompress(h *record.Header, codec record.Compression) bool {
	// Kafka never re-encodes a control batch written uncompressed; Strom
	// never re-encodes any (markers are tiny, and readers find them as
	// written).
	return !h.IsControl() && h.Compression() != codec
}
