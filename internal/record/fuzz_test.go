package record

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// kmsgBatch builds a batch with franz-go's encoder (an independent
// implementation) for seeds: records encoded by appendRecord, compressed by
// Compress, framed by kmsg.RecordBatch.
func kmsgBatch(t testing.TB, c Compression, xerial bool, n int) []byte {
	recs := testRecords(n, 40)
	var raw []byte
	for i := range recs {
		raw = appendRecord(raw, i, &recs[i])
	}
	body, err := Compress(c, raw, xerial)
	if err != nil {
		t.Fatal(err)
	}
	kb := kmsg.RecordBatch{FirstOffset: 100, Length: int32(49 + len(body)), PartitionLeaderEpoch: 3, Magic: 2,
		Attributes: int16(c), LastOffsetDelta: int32(n - 1), FirstTimestamp: 1000, MaxTimestamp: 1000 + int64(n-1),
		ProducerID: 7, ProducerEpoch: 1, FirstSequence: 0, NumRecords: int32(n), Records: body}
	b := kb.AppendTo(nil)
	updateCRC(b)
	return b
}

func seedBatches(t testing.TB) [][]byte {
	var out [][]byte
	for _, c := range allCodecs {
		out = append(out, kmsgBatch(t, c.c, c.xerial, 3))
	}
	return out
}

// TestWriteFuzzSeeds regenerates testdata/fuzz seed corpora:
// STROM_WRITE_SEEDS=1 go test -run TestWriteFuzzSeeds ./internal/record/
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("STROM_WRITE_SEEDS") == "" {
		t.Skip("set STROM_WRITE_SEEDS=1 to regenerate")
	}
	batches := seedBatches(t)
	write := func(target, name string, vals ...any) {
		dir := filepath.Join("testdata", "fuzz", target)
		os.MkdirAll(dir, 0o755)
		var b bytes.Buffer
		b.WriteString("go test fuzz v1\n")
		for _, v := range vals {
			switch v := v.(type) {
			case []byte:
				fmt.Fprintf(&b, "[]byte(%q)\n", v)
			case byte:
				fmt.Fprintf(&b, "byte(%d)\n", v)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var all []byte
	for i, b := range batches {
		c := allCodecs[i]
		write("FuzzValidate", c.name, b)
		write("FuzzDecompress", c.name, byte(c.c), b[HeaderSize:])
		all = append(all, b...)
	}
	write("FuzzIter", "all-codecs", all)
	write("FuzzIter", "torn", all[:len(all)-7])
	write("FuzzIter", "zero-tail", append(bytes.Clone(batches[0]), make([]byte, 64)...))
}

func FuzzIter(f *testing.F) {
	for _, b := range seedBatches(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, buf []byte) {
		it := Iter{Buf: buf}
		total := 0
		for it.Next() {
			if it.Pos != total || len(it.Batch) != it.Header.Size() {
				t.Fatalf("position %d/%d, size %d/%d", it.Pos, total, len(it.Batch), it.Header.Size())
			}
			total += len(it.Batch)
			CheckIntegrity(it.Batch)
		}
		if it.Err == nil && total != len(buf) {
			t.Fatalf("consumed %d of %d without error", total, len(buf))
		}
	})
}

func FuzzValidate(f *testing.F) {
	for _, b := range seedBatches(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		lim := Limits{MaxDecompressedBytes: 1 << 20}
		info, err := Validate(b, lim)
		if err != nil {
			return
		}
		// Anything Validate accepts must iterate cleanly and agree.
		n := int32(0)
		if err := ForEachRecord(b, lim, func(h *Header, r *Record) bool { n++; return true }); err != nil {
			t.Fatalf("ForEachRecord after Validate: %v", err)
		}
		if n != info.RecordCount {
			t.Fatalf("%d records, header says %d", n, info.RecordCount)
		}
		// And survive the broker's in-place patches.
		c := bytes.Clone(b)
		SetBaseOffset(c, 5)
		SetPartitionLeaderEpoch(c, 9)
		SetLogAppendTime(c, 77)
		if _, err := Validate(c, lim); err != nil {
			t.Fatalf("patched batch invalid: %v", err)
		}
		// And recompress to any codec into a valid batch with the same
		// records (the broker's compression.type).
		for _, to := range []Compression{CompressionNone, CompressionGzip, CompressionSnappy, CompressionLZ4, CompressionZstd} {
			r, err := Recompress(nil, b, to, 0, lim)
			if err != nil {
				if errors.Is(err, ErrTooLarge) {
					continue
				}
				t.Fatalf("recompress to %v: %v", to, err)
			}
			ri, err := Validate(r, lim)
			if err != nil || ri.Compression() != to || ri.RecordCount != info.RecordCount || ri.MaxRecordTimestamp != info.MaxRecordTimestamp {
				t.Fatalf("recompressed to %v: %v %+v", to, err, ri.Header)
			}
		}
	})
}

func FuzzDecompress(f *testing.F) {
	for _, c := range allCodecs {
		b := kmsgBatch(f, c.c, c.xerial, 3)
		f.Add(byte(c.c), b[HeaderSize:])
	}
	f.Fuzz(func(t *testing.T, codec byte, src []byte) {
		const limit = 1 << 20
		out, err := Decompress(Compression(codec&7), src, nil, limit)
		if err == nil && len(out) > limit {
			t.Fatalf("%d bytes out, limit %d", len(out), limit)
		}
		if err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrTooLarge) {
			t.Fatalf("unclassified error: %v", err)
		}
	})
}
