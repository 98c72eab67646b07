package record

import (
	"encoding/binary"
	"fmt"
)

// Control record types (Kafka's ControlRecordType): the key of the single
// record of a transaction-marker batch is {version int16 = 0, type int16}.
const (
	ControlAbort  int16 = 0
	ControlCommit int16 = 1
)

// EndTxnMarker is a decoded transaction marker (Kafka's EndTransactionMarker).
type EndTxnMarker struct {
	Type             int16 // ControlAbort or ControlCommit
	CoordinatorEpoch int32
}

// BuildEndTxnMarker appends a control batch holding one COMMIT or ABORT
// marker for producerID/epoch, uncompressed like Kafka's. The value is
// {version int16 = 0, coordinatorEpoch int32}. Offsets are assigned by the
// log on append.
func BuildEndTxnMarker(dst []byte, producerID int64, epoch int16, commit bool, coordinatorEpoch int32, timestamp int64) ([]byte, error) {
	typ := ControlAbort
	if commit {
		typ = ControlCommit
	}
	be := binary.BigEndian
	key := be.AppendUint16(be.AppendUint16(nil, 0), uint16(typ))
	value := be.AppendUint32(be.AppendUint16(nil, 0), uint32(coordinatorEpoch))
	return Build(dst, BatchSpec{
		Transactional: true, Control: true,
		BaseTimestamp: timestamp, MaxTimestamp: timestamp,
		ProducerID: producerID, ProducerEpoch: epoch, BaseSequence: -1,
		Records: []NewRecord{{Key: key, Value: value}},
	})
}

// ParseEndTxnMarker decodes the marker of a control batch (batch must be one
// whole v2 control batch). Unknown control types (Kafka also has leader
// change and KRaft snapshot records) return ok=false and no error: they are
// not transaction markers.
func ParseEndTxnMarker(batch []byte) (m EndTxnMarker, ok bool, err error) {
	var perr error
	err = ForEachRecord(batch, Limits{}, func(h *Header, r *Record) bool {
		if !h.IsControl() {
			perr = fmt.Errorf("%w: not a control batch", ErrInvalidRecord)
			return false
		}
		if len(r.Key) < 4 {
			perr = fmt.Errorf("%w: control record key of %d bytes", ErrInvalidRecord, len(r.Key))
			return false
		}
		m.Type = int16(binary.BigEndian.Uint16(r.Key[2:]))
		if m.Type != ControlAbort && m.Type != ControlCommit {
			return false
		}
		// A marker without a full value is corrupt: Kafka rejects it too.
		if len(r.Value) < 6 {
			perr = fmt.Errorf("%w: transaction marker value of %d bytes", ErrInvalidRecord, len(r.Value))
			return false
		}
		m.CoordinatorEpoch = int32(binary.BigEndian.Uint32(r.Value[2:]))
		ok = true
		return false // a marker batch has exactly one record
	})
	if err == nil {
		err = perr
	}
	if err != nil {
		return EndTxnMarker{}, false, err
	}
	return m, ok, nil
}
