package record

import (
	"errors"
	"testing"
)

func TestEndTxnMarker(t *testing.T) {
	for _, commit := range []bool{true, false} {
		b, err := BuildEndTxnMarker(nil, 7, 3, commit, 11, 1000)
		if err != nil {
			t.Fatal(err)
		}
		h, err := CheckIntegrity(b)
		if err != nil || !h.IsControl() || !h.IsTransactional() || h.ProducerID != 7 || h.ProducerEpoch != 3 || h.RecordCount != 1 {
			t.Fatalf("%+v %v", h, err)
		}
		m, ok, err := ParseEndTxnMarker(b)
		want := ControlAbort
		if commit {
			want = ControlCommit
		}
		if err != nil || !ok || m.Type != want || m.CoordinatorEpoch != 11 {
			t.Fatalf("%+v %v %v", m, ok, err)
		}
	}
	// A data batch is not a marker.
	b, _ := Build(nil, BatchSpec{ProducerID: -1, Records: []NewRecord{{Value: []byte("x")}}})
	if _, _, err := ParseEndTxnMarker(b); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("data batch: %v", err)
	}
	// A control record of another type (KRaft leader change = 2) is not one either.
	b, _ = Build(nil, BatchSpec{Control: true, ProducerID: -1, Records: []NewRecord{{Key: []byte{0, 0, 0, 2}, Value: []byte{0, 0}}}})
	if _, ok, err := ParseEndTxnMarker(b); ok || err != nil {
		t.Fatalf("leader change record: %v %v", ok, err)
	}
}

func FuzzParseEndTxnMarker(f *testing.F) {
	b, _ := BuildEndTxnMarker(nil, 7, 3, true, 11, 1000)
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, ok, err := ParseEndTxnMarker(b)
		if err == nil && ok && m.Type != ControlAbort && m.Type != ControlCommit {
			t.Fatalf("marker of type %d", m.Type)
		}
	})
}
