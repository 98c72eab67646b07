package record

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// recordsOf lists a batch's records as comparable strings.
func recordsOf(t *testing.T, b []byte) []string {
	t.Helper()
	var out []string
	err := ForEachRecord(b, Limits{}, func(h *Header, r *Record) bool {
		var hs []string
		r.ForEachHeader(func(k, v []byte) { hs = append(hs, fmt.Sprintf("%q=%q/%v", k, v, v == nil)) })
		out = append(out, fmt.Sprintf("%d %d %q/%v %q/%v %v", r.OffsetDelta, r.TimestampDelta, r.Key, r.Key == nil, r.Value, r.Value == nil, hs))
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Every codec pair: the recompressed batch validates, carries the target
// codec and keeps every other header field, attribute bit and record.
func TestRecompressRoundTrip(t *testing.T) {
	recs := testRecords(30, 200)
	recs[3].Key, recs[4].Value = nil, nil
	recs[5].TimestampDelta = -7 // deltas may be negative; they are kept as is
	for _, from := range allCodecs {
		for _, to := range allCodecs {
			if to.xerial {
				continue // Recompress always frames snappy like Kafka's broker
			}
			t.Run(from.name+"-to-"+to.name, func(t *testing.T) {
				src := mustBuild(t, BatchSpec{BaseOffset: 42, PartitionLeaderEpoch: 3, Compression: from.c, XerialSnappy: from.xerial,
					Transactional: true, BaseTimestamp: 1000, ProducerID: 7, ProducerEpoch: 2, BaseSequence: 11, Records: recs})
				want := recordsOf(t, src)
				out, err := Recompress([]byte("prefix"), src, to.c, 0, Limits{})
				if err != nil {
					t.Fatal(err)
				}
				if string(out[:6]) != "prefix" {
					t.Fatal("dst prefix lost")
				}
				got := out[6:]
				info, err := Validate(got, Limits{})
				if err != nil {
					t.Fatalf("recompressed batch invalid: %v", err)
				}
				sh, _ := ParseHeader(src)
				gh := info.Header
				if gh.Compression() != to.c {
					t.Fatalf("codec %v, want %v", gh.Compression(), to.c)
				}
				sh.BatchLength, sh.CRC, sh.Attributes = gh.BatchLength, gh.CRC, sh.Attributes&^attrCompressionMask|int16(to.c)
				if sh != gh {
					t.Fatalf("header changed:\n got %+v\nwant %+v", gh, sh)
				}
				if g := recordsOf(t, got); fmt.Sprint(g) != fmt.Sprint(want) {
					t.Fatalf("records differ:\n got %v\nwant %v", g, want)
				}
				// An independent decoder (franz-go's) reads it too.
				var kb kmsg.RecordBatch
				if err := kb.ReadFrom(got); err != nil || kb.NumRecords != 30 {
					t.Fatalf("kmsg: %v, %d records", err, kb.NumRecords)
				}
			})
		}
	}
}

func TestRecompressLevels(t *testing.T) {
	src := mustBuild(t, BatchSpec{ProducerID: -1, BaseSequence: -1, Records: testRecords(50, 1000)})
	tests := []struct {
		c      Compression
		levels []int
	}{
		{CompressionGzip, []int{-1, 1, 5, 9, 0, 42}},
		{CompressionLZ4, []int{1, 4, 9, 10, 17, 0}},
		{CompressionZstd, []int{-131072, -5, 0, 1, 3, 7, 22}},
	}
	for _, tc := range tests {
		for _, lvl := range tc.levels {
			t.Run(fmt.Sprintf("%v-%d", tc.c, lvl), func(t *testing.T) {
				for range 2 { // the second round uses pooled encoders
					out, err := Recompress(nil, src, tc.c, lvl, Limits{})
					if err != nil {
						t.Fatal(err)
					}
					if len(out) >= len(src) {
						t.Fatalf("%d bytes from %d: not compressed", len(out), len(src))
					}
					if fmt.Sprint(recordsOf(t, out)) != fmt.Sprint(recordsOf(t, src)) {
						t.Fatal("records differ")
					}
				}
			})
		}
	}
}

func TestRecompressTooLarge(t *testing.T) {
	src := mustBuild(t, BatchSpec{Compression: CompressionGzip, ProducerID: -1, BaseSequence: -1,
		Records: []NewRecord{{Value: make([]byte, 2<<20)}}})
	if _, err := Recompress(nil, src, CompressionZstd, 0, Limits{MaxDecompressedBytes: 1 << 20}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
}

// bombBatch is a one-record batch whose records section is n zero bytes
// compressed with c, streamed so the test itself never holds n bytes.
// A zstd window below the cap makes the decoder inflate (and stop
// mid-stream) rather than refuse the frame header.
func bombBatch(t *testing.T, c Compression, n, zstdWindow int) []byte {
	t.Helper()
	var body bytes.Buffer
	var w io.WriteCloser
	switch c {
	case CompressionGzip:
		w, _ = gzip.NewWriterLevel(&body, gzip.DefaultCompression)
	case CompressionZstd:
		// The streaming encoder leaves the frame's content size unknown,
		// so the decoder cannot refuse up front by that either.
		var err error
		if w, err = zstd.NewWriter(&body, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithWindowSize(zstdWindow)); err != nil {
			t.Fatal(err)
		}
	}
	zeros := make([]byte, 1<<20)
	for range n >> 20 {
		w.Write(zeros)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b := mustBuild(t, BatchSpec{ProducerID: -1, BaseSequence: -1, Records: []NewRecord{{Value: []byte("x")}}})
	b = append(b[:HeaderSize], body.Bytes()...)
	copy(b[offBatchLength:], be32(uint32(len(b)-LogOverhead)))
	b[offAttributes+1] |= byte(c)
	updateCRC(b)
	return b
}

func be32(v uint32) []byte { return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)} }

// A small batch inflating to 128 MiB is refused under a 1 MiB cap, and the
// refusal allocates about the cap, not the inflated size.
func TestDecompressionBombBoundedMemory(t *testing.T) {
	const inflated, limit = 128 << 20, 1 << 20
	tests := []struct {
		name   string
		c      Compression
		window int
	}{
		{"gzip", CompressionGzip, 0},
		{"zstd", CompressionZstd, 256 << 10},
		{"zstd-window-over-cap", CompressionZstd, 4 << 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := bombBatch(t, tc.c, inflated, tc.window)
			if len(b) > 1<<20 {
				t.Fatalf("bomb of %d bytes is not small", len(b))
			}
			lim := Limits{MaxDecompressedBytes: limit}
			check := func() {
				if _, err := Validate(b, lim); !errors.Is(err, ErrTooLarge) {
					t.Fatalf("Validate: %v, want ErrTooLarge", err)
				}
				if _, err := Recompress(nil, b, CompressionLZ4, 0, lim); !errors.Is(err, ErrTooLarge) {
					t.Fatalf("Recompress: %v, want ErrTooLarge", err)
				}
			}
			check() // warm the decoder and buffer pools
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			check()
			runtime.ReadMemStats(&after)
			// Each of the two calls may hold up to ~2× the cap while
			// growing its buffer, plus decoder state; a full inflate
			// would be 256 MiB.
			if got := after.TotalAlloc - before.TotalAlloc; got > 16<<20 {
				t.Fatalf("refusing the bomb allocated %d MiB", got>>20)
			}
		})
	}
}
