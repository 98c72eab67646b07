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

// add records an appended data batch; a new epoch starts a fresh history.
func (p *producerState) add(h *record.Header) {
	if h.ProducerEpoch != p.Epoch {
		p.Epoch, p.Batches = h.ProducerEpoch, p.Batches[:0]
	}
	p.LastTimestamp = max(p.LastTimestamp, h.MaxTimestamp)
	if h.IsControl() {
		return // markers carry no sequence
	}
	if len(p.Batches) == maxBatchesPerProducer {
		p.Batches = append(p.Batches[:0], p.Batches[1:]...)
	}
	p.Batches = append(p.Batches, batchMeta{h.BaseSequence, h.LastSequence(), h.BaseOffset, h.LastOffset(), h.MaxTimestamp})
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

// apply updates state from a batch already in the log (recovery, replication).
func (ps producerStates) apply(h *record.Header) {
	if !h.HasProducerID() {
		return
	}
	p := ps[h.ProducerID]
	if p == nil {
		p = &producerState{Epoch: h.ProducerEpoch}
		ps[h.ProducerID] = p
	}
	if h.ProducerEpoch < p.Epoch {
		return // a fenced zombie's batch still in the log: keep the newer state
	}
	p.add(h)
}

func (ps producerStates) entries() []ProducerEntry {
	out := make([]ProducerEntry, 0, len(ps))
	for id, p := range ps {
		out = append(out, ProducerEntry{ProducerID: id, ProducerEpoch: p.Epoch, LastSequence: p.lastSeq(), LastTimestamp: p.LastTimestamp})
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
//	          nbatches int8, nbatches × { firstSeq int32, lastSeq int32,
//	          firstOffset int64, lastOffset int64, timestamp int64 } }
const (
	snapshotMagic     = "STPS"
	snapshotVersion   = 1
	snapshotHeader    = 4 + 2 + 4 + 4
	snapshotEntryMin  = 8 + 2 + 8 + 1
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
	if len(b) < snapshotHeader || string(b[:4]) != snapshotMagic || be.Uint16(b[4:]) != snapshotVersion {
		return nil, fmt.Errorf("%w: bad producer snapshot header", ErrCorruptMessage)
	}
	if crc32.Checksum(b[10:], crcTable) != be.Uint32(b[6:]) {
		return nil, fmt.Errorf("%w: producer snapshot crc mismatch", ErrCorruptMessage)
	}
	n := int(be.Uint32(b[10:]))
	b = b[snapshotHeader:]
	if n < 0 || n > len(b)/snapshotEntryMin {
		return nil, fmt.Errorf("%w: producer snapshot count %d", ErrCorruptMessage, n)
	}
	ps := make(producerStates, n)
	for i := 0; i < n; i++ {
		if len(b) < snapshotEntryMin {
			return nil, fmt.Errorf("%w: producer snapshot truncated", ErrCorruptMessage)
		}
		id := int64(be.Uint64(b))
		p := &producerState{Epoch: int16(be.Uint16(b[8:])), LastTimestamp: int64(be.Uint64(b[10:]))}
		nb := int(b[18])
		b = b[snapshotEntryMin:]
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
