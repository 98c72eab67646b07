package storage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"testing"
)

func TestTxnIndexCodec(t *testing.T) {
	ents := []abortedTxn{{7, 0, 4, 3}, {9, 2, 10, 11}}
	var b []byte
	for _, e := range ents {
		b = e.append(b)
	}
	if len(b) != 2*34 {
		t.Fatalf("%d bytes, Kafka's entries are 34 each", len(b))
	}
	got, err := decodeTxnIndex(b)
	if err != nil || len(got) != 2 || got[1] != ents[1] {
		t.Fatalf("%v %+v", err, got)
	}
	// A torn tail is dropped, an unknown version is corruption.
	if got, err := decodeTxnIndex(b[:50]); err != nil || len(got) != 1 {
		t.Fatalf("torn: %v %+v", err, got)
	}
	b[34] = 1
	if _, err := decodeTxnIndex(b); !errors.Is(err, ErrCorruptMessage) {
		t.Fatalf("version 256 accepted: %v", err)
	}
}

func TestSnapshotKeepsTransactions(t *testing.T) {
	p := newProducerState(3)
	p.TxnFirstOffset, p.CoordinatorEpoch, p.LastTimestamp = 42, 5, 99
	p.Batches = []batchMeta{{0, 4, 42, 46, 99}}
	got, err := decodeSnapshot(encodeSnapshot(producerStates{1: p, 2: newProducerState(0)}))
	if err != nil {
		t.Fatal(err)
	}
	if g := got[1]; g.TxnFirstOffset != 42 || g.CoordinatorEpoch != 5 || g.Batches[0].LastOffset != 46 {
		t.Fatalf("%+v", g)
	}
	if g := got[2]; g.TxnFirstOffset != -1 || g.CoordinatorEpoch != -1 {
		t.Fatalf("%+v", g)
	}
}

// encodeSnapshotV1 writes the format of before transactions.
func encodeSnapshotV1(id int64, epoch int16, lastTS int64, seq int32, off int64) []byte {
	be := binary.BigEndian
	b := append([]byte(snapshotMagic), 0, 1, 0, 0, 0, 0)
	b = be.AppendUint32(b, 1)
	b = be.AppendUint64(b, uint64(id))
	b = be.AppendUint16(b, uint16(epoch))
	b = be.AppendUint64(b, uint64(lastTS))
	b = append(b, 1)
	b = be.AppendUint32(b, uint32(seq))
	b = be.AppendUint32(b, uint32(seq))
	b = be.AppendUint64(b, uint64(off))
	b = be.AppendUint64(b, uint64(off))
	b = be.AppendUint64(b, uint64(lastTS))
	be.PutUint32(b[6:], crc32.Checksum(b[10:], crcTable))
	return b
}

func TestOldSnapshotStillLoads(t *testing.T) {
	got, err := decodeSnapshot(encodeSnapshotV1(5, 2, 77, 9, 30))
	if err != nil {
		t.Fatal(err)
	}
	p := got[5]
	if p == nil || p.Epoch != 2 || p.lastSeq() != 9 || p.TxnFirstOffset != -1 || p.CoordinatorEpoch != -1 {
		t.Fatalf("%+v", p)
	}
}

func FuzzTxnIndex(f *testing.F) {
	f.Add(abortedTxn{7, 0, 4, 3}.append(abortedTxn{9, 2, 10, 11}.append(nil)))
	f.Add([]byte{0, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		ents, err := decodeTxnIndex(b)
		if err != nil {
			return
		}
		var re []byte
		for _, e := range ents {
			re = e.append(re)
		}
		if !bytes.Equal(re, b[:len(b)/txnEntrySize*txnEntrySize]) {
			t.Fatal("accepted index does not re-encode identically")
		}
	})
}
