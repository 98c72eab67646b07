package storage

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"sort"

	"github.com/strom-project/strom/internal/record"
)

// maxBatchesPerProducer is how many recent batches are remembered per
// producer for duplicate detection: Kafka's limit, and why clients cap
// max.in.flight.requests.per.connection at 5 with idempotence.
const maxBatchesPerProducer = 5

// batchMeta identifies one appended batch of a producer.
type batchMeta struct {
	FirstSeq, LastSeq       int32
	FirstOffset, LastOffset int64
	Timestamp               int64
}

// producerState is Kafka's ProducerStateEntry.
type producerState struct {
	Epoch         int16
	Batches       []batchMeta // oldest first
	LastTimestamp int64
	// CoordinatorEpoch is that of the last marker (-1: none); a marker from
	// an older coordinator is fenced.
	CoordinatorEpoch int32
	// TxnFirstOffset is the first offset of the ongoing transaction, -1
	// when none: the log's LSO cannot pass it.
	TxnFirstOffset int64
}

func newProducerState(epoch int16) *producerState {
	return &producerState{Epoch: epoch, CoordinatorEpoch: -1, TxnFirstOffset: -1}
}

// completedTxn is a transaction ended by a marker (Kafka's CompletedTxn).
type completedTxn struct {
	ProducerID, FirstOffset, LastOffset int64
	Aborted                             bool
}

func (p *producerState) lastSeq() int32 {
	if len(p.Batches) == 0 {
		return -1
	}
	return p.Batches[len(p.Batches)-1].LastSeq
}

func (p *producerState) clone() *producerState {
	c := *p
	c.Batches = append([]batchMeta(nil), p.Batches...)
	return &c
}

// add records an appended batch; a new epoch starts a fresh history. A
// transactional data batch opens a transaction if none is ongoing; a
// transaction marker (m) closes it and returns it as done.
func (p *producerState) add(h *record.Header, m *record.EndTxnMarker) (done completedTxn, ok bool) {
	if h.ProducerEpoch != p.Epoch {
		p.Epoch, p.Batches = h.ProducerEpoch, p.Batches[:0]
	}
	p.LastTimestamp = max(p.LastTimestamp, h.MaxTimestamp)
	if h.IsControl() {
		if m == nil {
			return done, false // not a transaction marker
		}
		// A marker without data before it (an empty transaction on this
		// partition) still completes one, starting at the marker, as
		// in Kafka.
		first := p.TxnFirstOffset
		if first < 0 {
			first = h.BaseOffset
		}
		p.TxnFirstOffset, p.CoordinatorEpoch = -1, m.CoordinatorEpoch
		return completedTxn{h.ProducerID, first, h.BaseOffset, m.Type == record.ControlAbort}, true // markers carry no sequence
	}
	if h.IsTransactional() && p.TxnFirstOffset < 0 {
		p.TxnFirstOffset = h.BaseOffset
	}
	if len(p.Batches) == maxBatchesPerProducer {
		p.Batches = append(p.Batches[:0], p.Batches[1:]...)
	}
	p.Batches = append(p.Batches, batchMeta{h.BaseSequence, h.LastSequence(), h.BaseOffset, h.LastOffset(), h.MaxTimestamp})
	return done, false
}

// inSequence is Kafka's ProducerStateManager rule, including int32 wrap.
func inSequence(last, next int32) bool {
	return int64(next) == int64(last)+1 || (next == 0 && last == 1<<31-1)
}

// checkClientBatch validates a client batch against the producer's current
// state (nil = unknown producer). A duplicate of a remembered batch returns
// its metadata and no error.
func checkClientBatch(cur *producerState, h *record.Header) (*batchMeta, error) {
	if cur == nil {
		// Unknown producer: any sequence is accepted, as Kafka's
		// ProducerAppendInfo does. The state may have been dropped by
		// retention, DeleteRecords or producer.id.expiration.ms while the
		// producer kept going; refusing would fail batches Kafka takes.
		return nil, nil
	}
	if h.ProducerEpoch == cur.Epoch {
		last := h.LastSequence()
		for i := range cur.Batches {
			if b := &cur.Batches[i]; b.FirstSeq == h.BaseSequence && b.LastSeq == last {
				d := *b
				return &d, nil
			}
		}
	}
	switch {
	case h.ProducerEpoch < cur.Epoch:
		return nil, fmt.Errorf("%w: producer %d epoch %d, current %d", ErrInvalidProducerEpoch, h.ProducerID, h.ProducerEpoch, cur.Epoch)
	case h.ProducerEpoch > cur.Epoch:
		if h.BaseSequence != 0 {
			return nil, fmt.Errorf("%w: producer %d new epoch %d must start at 0, got %d", ErrOutOfOrderSequence, h.ProducerID, h.ProducerEpoch, h.BaseSequence)
		}
	default:
		if !inSequence(cur.lastSeq(), h.BaseSequence) {
			return nil, fmt.Errorf("%w: producer %d epoch %d: sequence %d after %d", ErrOutOfOrderSequence, h.ProducerID, h.ProducerEpoch, h.BaseSequence, cur.lastSeq())
		}
	}
	return nil, nil
}

// producerStates maps producer id to state; guarded by Log.mu.
type producerStates map[int64]*producerState

// apply updates state from a batch already in the log (recovery); m is
// the batch's transaction marker, if it is one.
func (ps producerStates) apply(h *record.Header, m *record.EndTxnMarker) (completedTxn, bool) {
	if !h.HasProducerID() {
		return completedTxn{}, false
	}
	p := ps[h.ProducerID]
	if p == nil {
		p = newProducerState(h.ProducerEpoch)
		ps[h.ProducerID] = p
	}
	if h.ProducerEpoch < p.Epoch {
		return completedTxn{}, false // a fenced zombie's batch still in the log: keep the newer state
	}
	return p.add(h, m)
}

// firstUnstable is the smallest first offset of an ongoing transaction,
// or -1 when none is ongoing, ignoring producer except (-1: none).
func (ps producerStates) firstUnstable(except int64) int64 {
	first := int64(-1)
	for id, p := range ps {
		if p.TxnFirstOffset >= 0 && id != except && (first < 0 || p.TxnFirstOffset < first) {
			first = p.TxnFirstOffset
		}
	}
	return first
}

func (ps producerStates) entries() []ProducerEntry {
	out := make([]ProducerEntry, 0, len(ps))
	for id, p := range ps {
		out = append(out, ProducerEntry{ProducerID: id, ProducerEpoch: p.Epoch, LastSequence: p.lastSeq(), LastTimestamp: p.LastTimestamp,
			CoordinatorEpoch: p.CoordinatorEpoch, CurrentTxnStartOffset: p.TxnFirstOffset})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ProducerID < out[j].ProducerID })
	return out
}

// Producer snapshot file <offset>.snapshot (state covering offsets < offset):
//
//	magic    [4]byte "STPS"
//	version  int16   1
//	crc      uint32  CRC-32C of everything after this field
//	count    int32
//	count × { producerId int64, epoch int16, lastTimestamp int64,
//	          [v2: coordinatorEpoch int32, txnFirstOffset int64]
//	          nbatches int8, nbatches × { firstSeq int32, lastSeq int32,
//	          firstOffset int64, lastOffset int64, timestamp int64 } }
//
// Version 2 adds the transaction fields; version 1 files (written before
// transactions) still load, with no transaction ongoing.
const (
	snapshotMagic     = "STPS"
	snapshotVersion   = 2
	snapshotHeader    = 4 + 2 + 4 + 4
	snapshotEntryMin  = 8 + 2 + 8 + 1
	snapshotTxnFields = 4 + 8
	snapshotBatchSize = 4 + 4 + 8 + 8 + 8
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

func encodeSnapshot(ps producerStates) []byte {
	be := binary.BigEndian
	b := append([]byte(snapshotMagic), 0, snapshotVersion, 0, 0, 0, 0)
	b = be.AppendUint32(b, uint32(len(ps)))
	for _, e := range ps.entries() { // sorted: deterministic files
		p := ps[e.ProducerID]
		b = be.AppendUint64(b, uint64(e.ProducerID))
		b = be.AppendUint16(b, uint16(p.Epoch))
		b = be.AppendUint64(b, uint64(p.LastTimestamp))
		b = be.AppendUint32(b, uint32(p.CoordinatorEpoch))
		b = be.AppendUint64(b, uint64(p.TxnFirstOffset))
		b = append(b, byte(len(p.Batches)))
		for _, m := range p.Batches {
			b = be.AppendUint32(b, uint32(m.FirstSeq))
			b = be.AppendUint32(b, uint32(m.LastSeq))
			b = be.AppendUint64(b, uint64(m.FirstOffset))
			b = be.AppendUint64(b, uint64(m.LastOffset))
			b = be.AppendUint64(b, uint64(m.Timestamp))
		}
	}
	be.PutUint32(b[6:], crc32.Checksum(b[10:], crcTable))
	return b
}

func decodeSnapshot(b []byte) (producerStates, error) {
	be := binary.BigEndian
	if len(b) < snapshotHeader || string(b[:4]) != snapshotMagic {
		return nil, fmt.Errorf("%w: bad producer snapshot header", ErrCorruptMessage)
	}
	version := be.Uint16(b[4:])
	if version != 1 && version != snapshotVersion {
		return nil, fmt.Errorf("%w: producer snapshot version %d", ErrCorruptMessage, version)
	}
	entryMin := snapshotEntryMin
	if version >= 2 {
		entryMin += snapshotTxnFields
	}
	if crc32.Checksum(b[10:], crcTable) != be.Uint32(b[6:]) {
		return nil, fmt.Errorf("%w: producer snapshot crc mismatch", ErrCorruptMessage)
	}
	n := int(be.Uint32(b[10:]))
	b = b[snapshotHeader:]
	if n < 0 || n > len(b)/entryMin {
		return nil, fmt.Errorf("%w: producer snapshot count %d", ErrCorruptMessage, n)
	}
	ps := make(producerStates, n)
	for i := 0; i < n; i++ {
		if len(b) < entryMin {
			return nil, fmt.Errorf("%w: producer snapshot truncated", ErrCorruptMessage)
		}
		id := int64(be.Uint64(b))
		p := newProducerState(int16(be.Uint16(b[8:])))
		p.LastTimestamp = int64(be.Uint64(b[10:]))
		if version >= 2 {
			p.CoordinatorEpoch = int32(be.Uint32(b[18:]))
			p.TxnFirstOffset = max(int64(be.Uint64(b[22:])), -1)
		}
		nb := int(b[entryMin-1])
		b = b[entryMin:]
		if nb > maxBatchesPerProducer || len(b) < nb*snapshotBatchSize {
			return nil, fmt.Errorf("%w: producer snapshot batches", ErrCorruptMessage)
		}
		for j := 0; j < nb; j++ {
			p.Batches = append(p.Batches, batchMeta{int32(be.Uint32(b)), int32(be.Uint32(b[4:])),
				int64(be.Uint64(b[8:])), int64(be.Uint64(b[16:])), int64(be.Uint64(b[24:]))})
			b = b[snapshotBatchSize:]
		}
		ps[id] = p
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes in producer snapshot", ErrCorruptMessage, len(b))
	}
	return ps, nil
}
