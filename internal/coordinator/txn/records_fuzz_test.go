package txn

import (
	"testing"
	"time"
)

// FuzzDecodeRecord: records read back from __transaction_state must never
// crash the loader, and what the coordinator writes must decode to itself.
func FuzzDecodeRecord(f *testing.F) {
	m := &txnMeta{id: "x", producerID: 7, epoch: 3, timeout: time.Minute, state: Ongoing,
		partitions: map[TopicPartition]bool{{"t", 1}: true, {"u", 0}: true}, start: time.UnixMilli(5), updated: time.UnixMilli(9)}
	f.Add(txnKey("x"), txnValue(m))
	f.Add(txnKey("x"), []byte(nil))
	f.Add([]byte{0, 1, 0}, []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, key, value []byte) {
		id, got, ok, err := decodeRecord(key, value)
		if err != nil || !ok || got == nil {
			return
		}
		_, again, _, err := decodeRecord(txnKey(id), txnValue(got))
		if err != nil || again.state != got.state || again.producerID != got.producerID || len(again.partitions) != len(got.partitions) {
			t.Fatalf("re-encoding %q: %+v vs %+v, %v", id, again, got, err)
		}
	})
}
