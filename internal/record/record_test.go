package record

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func testRecords(n, size int) []NewRecord {
	rs := make([]NewRecord, n)
	for i := range rs {
		rs[i] = NewRecord{
			TimestampDelta: int64(i),
			Key:            []byte(fmt.Sprintf("key-%d", i)),
			Value:          bytes.Repeat([]byte{byte('a' + i%26)}, size),
			Headers:        [][]byte{[]byte("h"), []byte("v"), []byte("nullv"), nil},
		}
	}
	return rs
}

func mustBuild(t testing.TB, s BatchSpec) []byte {
	t.Helper()
	b, err := Build(nil, s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var allCodecs = []struct {
	name   string
	c      Compression
	xerial bool
}{
	{"none", CompressionNone, false},
	{"gzip", CompressionGzip, false},
	{"snappy", CompressionSnappy, false},
	{"snappy-xerial", CompressionSnappy, true},
	{"lz4", CompressionLZ4, false},
	{"zstd", CompressionZstd, false},
}

func TestValidateRoundTrip(t *testing.T) {
	for _, tc := range allCodecs {
		t.Run(tc.name, func(t *testing.T) {
			b := mustBuild(t, BatchSpec{Compression: tc.c, XerialSnappy: tc.xerial, BaseTimestamp: 1000,
				ProducerID: 7, ProducerEpoch: 1, BaseSequence: 5, Records: testRecords(20, 3000)})
			info, err := Validate(b, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if info.RecordCount != 20 || info.LastOffsetDelta != 19 || info.Compression() != tc.c {
				t.Fatalf("header %+v", info.Header)
			}
			if info.MinTimestamp != 1000 || info.MaxRecordTimestamp != 1019 || info.MaxTimestamp != 1019 {
				t.Fatalf("timestamps %d %d %d", info.MinTimestamp, info.MaxRecordTimestamp, info.MaxTimestamp)
			}
			if info.LastSequence() != 24 {
				t.Fatalf("last seq %d", info.LastSequence())
			}
			n := 0
			err = ForEachRecord(b, Limits{}, func(h *Header, r *Record) bool {
				if string(r.Key) != fmt.Sprintf("key-%d", n) || len(r.Value) != 3000 || r.HeaderCount != 2 {
					t.Fatalf("record %d: %q", n, r.Key)
				}
				var hs []string
				r.ForEachHeader(func(k, v []byte) { hs = append(hs, fmt.Sprintf("%s=%v", k, v == nil)) })
				if fmt.Sprint(hs) != "[h=false nullv=true]" {
					t.Fatalf("headers %v", hs)
				}
				n++
				return true
			})
			if err != nil || n != 20 {
				t.Fatalf("ForEachRecord: %v, %d records", err, n)
			}
		})
	}
}

// TestBuildMatchesKmsg cross-checks Build against franz-go's encoder.
func TestBuildMatchesKmsg(t *testing.T) {
	recs := testRecords(3, 10)
	var raw []byte
	for i := range recs {
		raw = appendRecord(raw, i, &recs[i])
	}
	kb := kmsg.RecordBatch{FirstOffset: 0, Length: int32(49 + len(raw)), Magic: 2, LastOffsetDelta: 2,
		FirstTimestamp: 5, MaxTimestamp: 7, ProducerID: -1, ProducerEpoch: -1, FirstSequence: -1, NumRecords: 3, Records: raw}
	want := kb.AppendTo(nil)
	updateCRC(want)
	got := mustBuild(t, BatchSpec{BaseTimestamp: 5, ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Records: recs})
	if !bytes.Equal(got, want) {
		t.Fatalf("Build differs from kmsg\n got %x\nwant %x", got, want)
	}
	var rb kmsg.RecordBatch
	if err := rb.ReadFrom(got); err != nil || rb.NumRecords != 3 {
		t.Fatalf("kmsg cannot read Build output: %v", err)
	}
}

func TestValidateErrors(t *testing.T) {
	good := mustBuild(t, BatchSpec{ProducerID: -1, BaseSequence: -1, Records: testRecords(3, 10)})
	mod := func(f func(b []byte)) []byte {
		b := bytes.Clone(good)
		f(b)
		return b
	}
	recrc := func(f func(b []byte)) []byte { return mod(func(b []byte) { f(b); updateCRC(b) }) }
	tests := []struct {
		name  string
		batch []byte
		want  error
	}{
		{"short", good[:40], ErrTruncated},
		{"length mismatch", good[:len(good)-1], ErrCorrupt},
		{"magic 1", mod(func(b []byte) { b[offMagic] = 1 }), ErrUnsupportedMagic},
		{"bit flip in value", mod(func(b []byte) { b[len(b)-20] ^= 1 }), ErrCorrupt},
		{"bad crc field", mod(func(b []byte) { b[offCRC] ^= 0xff }), ErrCorrupt},
		{"codec 6", recrc(func(b []byte) { b[offAttributes+1] |= 6 }), ErrCorrupt},
		{"count mismatch", recrc(func(b []byte) { binary.BigEndian.PutUint32(b[offRecordCount:], 2) }), ErrInvalidRecord},
		{"zero count", recrc(func(b []byte) {
			binary.BigEndian.PutUint32(b[offRecordCount:], 0)
			binary.BigEndian.PutUint32(b[offLastOffsetDelta:], 0xffffffff)
		}), ErrInvalidRecord},
		{"huge count", recrc(func(b []byte) {
			binary.BigEndian.PutUint32(b[offRecordCount:], 1<<30)
			binary.BigEndian.PutUint32(b[offLastOffsetDelta:], 1<<30-1)
		}), ErrInvalidRecord},
		{"producer without sequence", recrc(func(b []byte) { binary.BigEndian.PutUint64(b[offProducerID:], 9) }), ErrInvalidRecord},
		{"fewer records than count", func() []byte {
			b := mustBuild(t, BatchSpec{ProducerID: -1, BaseSequence: -1, Records: testRecords(3, 10)})
			binary.BigEndian.PutUint32(b[offRecordCount:], 4)
			binary.BigEndian.PutUint32(b[offLastOffsetDelta:], 3)
			updateCRC(b)
			return b
		}(), ErrInvalidRecord},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Validate(tc.batch, Limits{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestDecompressionBomb(t *testing.T) {
	for _, tc := range allCodecs[1:] {
		t.Run(tc.name, func(t *testing.T) {
			b := mustBuild(t, BatchSpec{Compression: tc.c, XerialSnappy: tc.xerial, ProducerID: -1, BaseSequence: -1,
				Records: []NewRecord{{Value: make([]byte, 2<<20)}}})
			if len(b) > 200<<10 {
				t.Fatalf("batch did not compress: %d", len(b))
			}
			if _, err := Validate(b, Limits{MaxDecompressedBytes: 1 << 20}); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("got %v, want ErrTooLarge", err)
			}
			if _, err := Validate(b, Limits{MaxDecompressedBytes: 3 << 20}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestSetters(t *testing.T) {
	b := mustBuild(t, BatchSpec{BaseTimestamp: 10, ProducerID: -1, BaseSequence: -1, Records: testRecords(2, 10)})
	SetBaseOffset(b, 12345)
	SetPartitionLeaderEpoch(b, 7)
	if _, err := CheckIntegrity(b); err != nil {
		t.Fatalf("offset/epoch must not be CRC-covered: %v", err)
	}
	SetLogAppendTime(b, 99999)
	h, err := CheckIntegrity(b)
	if err != nil {
		t.Fatal(err)
	}
	if h.BaseOffset != 12345 || h.PartitionLeaderEpoch != 7 || !h.IsLogAppendTime() || h.MaxTimestamp != 99999 {
		t.Fatalf("%+v", h)
	}
	SetMaxTimestamp(b, 5)
	if h, err = CheckIntegrity(b); err != nil || h.MaxTimestamp != 5 {
		t.Fatalf("%v %+v", err, h)
	}
}

func TestIter(t *testing.T) {
	var buf []byte
	for i := 0; i < 5; i++ {
		buf = append(buf, mustBuild(t, BatchSpec{BaseOffset: int64(i * 2), ProducerID: -1, BaseSequence: -1, Records: testRecords(2, 5)})...)
	}
	tests := []struct {
		name    string
		buf     []byte
		batches int
		err     error
	}{
		{"whole", buf, 5, nil},
		{"torn", buf[:len(buf)-3], 4, ErrTruncated},
		{"short length", buf[:len(buf)/5*5+0][:0], 0, nil},
		{"zero tail", append(bytes.Clone(buf), make([]byte, 100)...), 5, ErrCorrupt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it := Iter{Buf: tc.buf}
			n := 0
			for it.Next() {
				if it.Header.BaseOffset != int64(n*2) || it.Pos != n*len(buf)/5 {
					t.Fatalf("batch %d: %+v at %d", n, it.Header, it.Pos)
				}
				n++
			}
			if n != tc.batches || !errors.Is(it.Err, tc.err) {
				t.Fatalf("%d batches, err %v", n, it.Err)
			}
		})
	}
}

func TestIncrementSequence(t *testing.T) {
	tests := []struct{ seq, delta, want int32 }{
		{0, 4, 4}, {2147483647, 1, 0}, {2147483645, 4, 1}, {-1, 3, -1},
	}
	for _, tc := range tests {
		if got := IncrementSequence(tc.seq, tc.delta); got != tc.want {
			t.Errorf("IncrementSequence(%d,%d)=%d want %d", tc.seq, tc.delta, got, tc.want)
		}
	}
}

func TestValidateTimestamps(t *testing.T) {
	recs := func(deltas ...int64) []NewRecord {
		rs := testRecords(len(deltas), 5)
		for i, d := range deltas {
			rs[i].TimestampDelta = d
		}
		return rs
	}
	tests := []struct {
		name                   string
		spec                   BatchSpec
		min, max, minSet, maxS int64
	}{
		{"create time", BatchSpec{BaseTimestamp: 100, Records: recs(5, 0, 9)}, 100, 109, 100, 109},
		{"no timestamps", BatchSpec{BaseTimestamp: -1, Records: recs(0, 0)}, -1, -1, 1<<63 - 1, -1 << 63},
		// Kafka skips the bound checks only for records without one.
		{"some without", BatchSpec{BaseTimestamp: -1, Records: recs(0, 501, 0)}, -1, 500, 500, 500},
		{"log append time", BatchSpec{BaseTimestamp: 100, MaxTimestamp: 7777, LogAppendTime: true, Records: recs(0, 1)}, 7777, 7777, 7777, 7777},
		{"log append time, none", BatchSpec{BaseTimestamp: 100, MaxTimestamp: -1, LogAppendTime: true, Records: recs(0)}, -1, -1, 1<<63 - 1, -1 << 63},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.spec.ProducerID, tc.spec.BaseSequence = -1, -1
			info, err := Validate(mustBuild(t, tc.spec), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			got := [4]int64{info.MinTimestamp, info.MaxRecordTimestamp, info.MinSetTimestamp, info.MaxSetTimestamp}
			if want := [4]int64{tc.min, tc.max, tc.minSet, tc.maxS}; got != want {
				t.Fatalf("min/max/minSet/maxSet %v, want %v", got, want)
			}
		})
	}
}

// SetMaxTimestamp turns a LogAppendTime batch into CreateTime, as Kafka does
// when a client marks a batch LogAppendTime for a CreateTime topic.
func TestSetMaxTimestampClearsLogAppendTime(t *testing.T) {
	b := mustBuild(t, BatchSpec{BaseTimestamp: 10, MaxTimestamp: 50, LogAppendTime: true, ProducerID: -1, BaseSequence: -1, Records: testRecords(2, 10)})
	SetMaxTimestamp(b, 50)
	h, err := CheckIntegrity(b)
	if err != nil || h.IsLogAppendTime() || h.MaxTimestamp != 50 {
		t.Fatalf("%v %+v", err, h)
	}
}
