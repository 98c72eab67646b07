package storage

import (
	"crypto/md5"
	"encoding/binary"
)

// offsetMap is Kafka's SkimpyOffsetMap: key → latest offset with bounded
// memory. Keys are stored as their MD5 digest (16 bytes) next to the offset
// (8 bytes), so every slot costs exactly offsetMapSlotBytes whatever the key
// size; a digest collision could only make the cleaner keep a record too
// many or drop one for a different key with the same digest, which MD5's
// 128 bits make negligible (Kafka accepts the same risk).
//
// The table is open addressing with linear probing and is never filled past
// loadFactor, so probes stay short; put refuses a new key beyond that and
// the cleaner stops the round there (cleaning only up to the last offset
// that fit). Not safe for concurrent use: one per cleaner goroutine.
type offsetMap struct {
	slots        []byte // numSlots × offsetMapSlotBytes; offset stored +1, 0 = empty
	numSlots     int
	maxEntries   int // numSlots × loadFactor
	size         int
	latestOffset int64 // highest offset put (or marked via updateLatest)
}

const (
	offsetMapSlotBytes = md5.Size + 8
	// dedupeLoadFactor is log.cleaner.io.buffer.load.factor (0.9).
	dedupeLoadFactor = 0.9
)

// newOffsetMap makes a map using at most memBytes, sized down to what
// wantEntries needs (so a small log does not allocate the whole
// log.cleaner.dedupe.buffer.size). It always holds at least one entry.
func newOffsetMap(memBytes int64, wantEntries int64) *offsetMap {
	maxSlots := max(memBytes/offsetMapSlotBytes, 2)
	slots := min(maxSlots, int64(float64(wantEntries)/dedupeLoadFactor)+2)
	m := &offsetMap{numSlots: int(slots)}
	m.slots = make([]byte, m.numSlots*offsetMapSlotBytes)
	m.maxEntries = max(int(float64(m.numSlots)*dedupeLoadFactor), 1)
	m.reset()
	return m
}

// reset empties the map, keeping its memory.
func (m *offsetMap) reset() {
	clear(m.slots)
	m.size, m.latestOffset = 0, -1
}

// full reports whether a new key would exceed the load factor.
func (m *offsetMap) full() bool { return m.size >= m.maxEntries }

func digest(key []byte) [md5.Size]byte { return md5.Sum(key) }

// find returns the slot index holding d, or the empty slot where it belongs.
func (m *offsetMap) find(d *[md5.Size]byte) (int, bool) {
	i := int(binary.BigEndian.Uint64(d[:8]) % uint64(m.numSlots))
	for {
		s := m.slots[i*offsetMapSlotBytes : (i+1)*offsetMapSlotBytes]
		if binary.BigEndian.Uint64(s[md5.Size:]) == 0 {
			return i, false
		}
		if [md5.Size]byte(s[:md5.Size]) == *d {
			return i, true
		}
		i++
		if i == m.numSlots {
			i = 0
		}
	}
}

// put records offset as the latest for key. It returns false, changing
// nothing, when key is new and the map is full.
func (m *offsetMap) put(key []byte, offset int64) bool {
	d := digest(key)
	i, found := m.find(&d)
	if !found {
		if m.full() {
			return false
		}
		m.size++
	}
	s := m.slots[i*offsetMapSlotBytes : (i+1)*offsetMapSlotBytes]
	copy(s, d[:])
	binary.BigEndian.PutUint64(s[md5.Size:], uint64(offset)+1)
	m.latestOffset = max(m.latestOffset, offset)
	return true
}

// get returns the latest offset for key, or -1.
func (m *offsetMap) get(key []byte) int64 {
	d := digest(key)
	i, found := m.find(&d)
	if !found {
		return -1
	}
	return int64(binary.BigEndian.Uint64(m.slots[i*offsetMapSlotBytes+md5.Size:])) - 1
}

// updateLatest notes that everything up to offset was mapped (a batch with
// no keyed records still counts as processed).
func (m *offsetMap) updateLatest(offset int64) { m.latestOffset = max(m.latestOffset, offset) }
