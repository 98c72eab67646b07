package durability

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// tornAcks is how many acknowledgements each torn-tail session waits for.
const tornAcks = 5000

// TestTornTail kills the broker mid-stream, then writes bytes that are not a
// valid batch after the last batch of partition 0's active segment: what a
// torn or misdirected write leaves behind. Recovery must truncate exactly
// those bytes (reporting them, not a preallocated zero tail), keep every
// acknowledged record, and append new writes right after them.
func TestTornTail(t *testing.T) {
	var tb table
	defer tb.log(t)
	for _, tc := range []struct {
		name        string
		preallocate bool
		tail        func(lastBatch []byte) []byte
	}{
		{"garbage", false, garbage},
		{"torn-batch", false, tornBatch},
		{"duplicate-batch", false, slices.Clone[[]byte]},
		{"garbage-preallocated", true, garbage},
		{"torn-batch-preallocated", true, tornBatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := startBroker(t, "log.preallocate="+strconv.FormatBool(tc.preallocate))
			topic := createTopic(t, b)
			led := &ledger{}
			session{topic: topic, partitions: partitions, acks: tornAcks, interrupt: b.Kill}.produce(t, b, led)
			wantTruncated := corruptTail(t, activeSegment(t, b.DataDir(), topic, 0), tc.tail, tc.preallocate)
			took := restart(t, b)
			r, _ := verify(t, b, led, topic, nil, tc.name+"/recovered", took)
			tb.add(r)
			if got := truncatedBytes(b, func(dir string) bool { return dir == topic+"-0" }); got != wantTruncated {
				t.Errorf("recovery truncated %d bytes of partition 0, want %d (the injected tail up to its last non-zero byte)", got, wantTruncated)
			}
			session{topic: topic, partitions: partitions, acks: tornAcks}.produce(t, b, led)
			r, _ = verify(t, b, led, topic, nil, tc.name+"/new-writes", 0)
			tb.add(r)
			if err := b.Stop(); err != nil {
				t.Errorf("stop: %v", err)
			}
		})
	}
}

// garbage returns 4 KiB of seeded random bytes.
func garbage([]byte) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]byte, 4096)
	for i := range out {
		out[i] = byte(rng.Uint32())
	}
	return out
}

// tornBatch returns the first half of the batch: a write cut short.
func tornBatch(last []byte) []byte { return slices.Clone(last[:len(last)/2]) }

// activeSegment returns the path of the newest .log segment of a partition:
// <log.dirs>/<topic>-<partition>/<20-digit base offset>.log.
func activeSegment(t *testing.T, dataDir, topic string, partition int32) string {
	t.Helper()
	segs, err := filepath.Glob(filepath.Join(dataDir, topic+"-"+strconv.Itoa(int(partition)), "[0-9]*.log"))
	if err != nil || len(segs) == 0 {
		t.Fatalf("no segment for %s-%d under %s: %v", topic, partition, dataDir, err)
	}
	slices.Sort(segs) // 20-digit names sort numerically
	return segs[len(segs)-1]
}

// corruptTail writes tail(last batch) right after the last valid batch of
// the segment at path and returns how many bytes recovery must cut: from
// there to the end of the file.
func corruptTail(t *testing.T, path string, tail func([]byte) []byte, preallocated bool) int64 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	end, last := scanBatches(data)
	if last < 0 {
		t.Fatalf("%s holds no valid batch (%d bytes)", path, len(data))
	}
	if !preallocated && end != len(data) {
		t.Logf("%s: %d bytes after the last valid batch before corruption (a write torn by SIGKILL)", path, len(data)-end)
	}
	inj := tail(data[last:end])
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(inj, int64(end)); err != nil {
		t.Fatal(err)
	}
	if !preallocated {
		if err := f.Truncate(int64(end + len(inj))); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: wrote %d bytes at %d, after the batch at %d; file is %d bytes", filepath.Base(path), len(inj), end, last, fi.Size())
	// The broker reports as truncated the bytes up to the last non-zero
	// one: zeros after it are a preallocated tail, not data, and trailing
	// zeros of the injected bytes cannot be told from them.
	return int64(len(bytes.TrimRight(inj, "\x00")))
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// scanBatches walks Kafka v2 record batches from the start of data and
// returns where the valid ones end and where the last one starts (-1 if
// none). A batch is valid when its length fits, its magic is 2, its CRC-32C
// (attributes to end) matches and its offsets follow the previous batch's:
//
//	0 baseOffset int64 | 8 batchLength int32 | 12 partitionLeaderEpoch int32
//	16 magic int8 | 17 crc uint32 | 21 attributes int16 | 23 lastOffsetDelta int32 ...
func scanBatches(data []byte) (end, last int) {
	const minBatchLength = 49 // a v2 batch header after its length field
	pos, last, next := 0, -1, int64(-1)
	for pos+12+minBatchLength <= len(data) {
		base := int64(binary.BigEndian.Uint64(data[pos:]))
		n := int(int32(binary.BigEndian.Uint32(data[pos+8:])))
		if n < minBatchLength || pos+12+n > len(data) {
			break
		}
		batch := data[pos : pos+12+n]
		if batch[16] != 2 || binary.BigEndian.Uint32(batch[17:]) != crc32.Checksum(batch[21:], castagnoli) || base < next {
			break
		}
		next = base + int64(int32(binary.BigEndian.Uint32(batch[23:]))) + 1
		last, pos = pos, pos+12+n
	}
	return pos, last
}
