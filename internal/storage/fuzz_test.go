package storage

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/strom-project/strom/internal/record"
)

func FuzzOffsetCheckpoint(f *testing.F) {
	f.Add([]byte("0\n2\norders 0 17\norders 1 4\n"))
	f.Add([]byte("0\n0\n"))
	f.Add([]byte("1\n1\nx 0 1\n"))
	f.Add([]byte("0\n99999999999\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseOffsetCheckpoint(b)
		if err != nil {
			return
		}
		// Round trip: what parses re-encodes to something that parses the same.
		m2, err := parseOffsetCheckpoint(encodeOffsetCheckpoint(m))
		if err != nil || len(m2) != len(m) {
			t.Fatalf("round trip: %v %v %v", err, m, m2)
		}
		for k, v := range m {
			if m2[k] != v {
				t.Fatalf("round trip %v: %d != %d", k, m2[k], v)
			}
		}
	})
}

func FuzzEpochCheckpoint(f *testing.F) {
	f.Add([]byte("0\n3\n1 0\n3 10\n4 25\n"))
	f.Add([]byte("0\n1\n-1 0\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		es, err := parseEpochCheckpoint(b)
		if err != nil {
			return
		}
		es2, err := parseEpochCheckpoint(encodeEpochCheckpoint(es))
		if err != nil || len(es2) != len(es) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func FuzzProducerSnapshot(f *testing.F) {
	f.Add(encodeSnapshot(producerStates{1: {Epoch: 3, Batches: []batchMeta{{0, 4, 10, 14, 99}}}}))
	f.Add(encodeSnapshot(producerStates{}))
	f.Add(encodeSnapshotV1(5, 2, 77, 9, 30))
	f.Fuzz(func(t *testing.T, b []byte) {
		ps, err := decodeSnapshot(b)
		if err != nil {
			return
		}
		if b[5] == 1 { // version 1 loads, and is rewritten as the current one
			b = encodeSnapshot(ps)
			if ps, err = decodeSnapshot(b); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(encodeSnapshot(ps), b) {
			t.Fatal("accepted snapshot does not re-encode identically")
		}
	})
}

// FuzzSegmentRecovery writes arbitrary bytes after valid batches in a segment
// (and as its index), then recovers: Open must not fail or panic, must keep
// every valid batch before the damage, and everything it keeps must read back.
func FuzzSegmentRecovery(f *testing.F) {
	f.Add([]byte{}, []byte{})
	f.Add([]byte("junk"), []byte{0, 0, 0, 1, 0, 0, 0, 9})
	f.Add(make([]byte, 100), []byte{})
	f.Add(mkBatch(f, batchOpt{n: 2}), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, tail, index []byte) {
		dir := filepath.Join(t.TempDir(), "t-0")
		os.MkdirAll(dir, 0o755)
		var good []byte
		for i := 0; i < 3; i++ {
			b := mkBatch(t, batchOpt{n: 2, size: 20})
			record.SetBaseOffset(b, int64(i*2))
			good = append(good, b...)
		}
		os.WriteFile(segmentName(dir, 0, logSuffix), append(append([]byte(nil), good...), tail...), 0o644)
		os.WriteFile(segmentName(dir, 0, indexSuffix), index, 0o644)
		for _, clean := range []bool{false, true} {
			l, err := Open(Options{Dir: dir, Logger: quietLogger, Clean: clean})
			if err != nil {
				if clean {
					continue // a clean shutdown never leaves junk; failing loudly is fine
				}
				t.Fatalf("recovery failed: %v", err)
			}
			if !clean && l.LogEndOffset() < 6 {
				t.Fatalf("lost valid data: LEO %d", l.LogEndOffset())
			}
			for off := int64(0); off < l.LogEndOffset(); {
				res, err := l.Read(off, 1<<20, true, l.LogEndOffset())
				if err != nil || len(res.Records) == 0 {
					t.Fatalf("read %d (LEO %d): %v", off, l.LogEndOffset(), err)
				}
				it := record.Iter{Buf: res.Records}
				for it.Next() {
					off = it.Header.NextOffset()
				}
			}
			l.Close()
		}
	})
}
