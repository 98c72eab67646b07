package txn

import (
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Records of __transaction_state, in Kafka's formats: key TxnMetadataKey
// (version 0), value TxnMetadataValue version 0, or 1 for transaction
// version 2 (nil value: tombstone).

func txnKey(id string) []byte {
	k := kmsg.NewTxnMetadataKey()
	k.TransactionalID = id
	return k.AppendTo(nil)
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return -1
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms < 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

func txnValue(m *txnMeta) []byte {
	v := kmsg.NewTxnMetadataValue()
	v.ProducerID, v.ProducerEpoch = m.producerID, m.epoch
	if m.tv2 {
		// Kafka writes version 1 (flexible, tagged fields) for
		// transaction version 2 clients only.
		v.Version, v.ClientTransactionVersion = 1, 2
		v.PreviousProducerID, v.NextProducerID = m.lastProducer, m.nextProducer
	}
	v.TimeoutMillis = int32(m.timeout / time.Millisecond)
	v.State = kmsg.TransactionState(m.state)
	v.LastUpdateTimestamp, v.StartTimestamp = millis(m.updated), millis(m.start)
	if m.state != Empty {
		// Kafka writes a null topic list only for Empty.
		v.Topics = []kmsg.TxnMetadataValueTopic{}
		for _, tp := range m.partitionList() {
			if n := len(v.Topics); n > 0 && v.Topics[n-1].Topic == tp.Topic {
				v.Topics[n-1].Partitions = append(v.Topics[n-1].Partitions, tp.Partition)
				continue
			}
			t := kmsg.NewTxnMetadataValueTopic()
			t.Topic, t.Partitions = tp.Topic, []int32{tp.Partition}
			v.Topics = append(v.Topics, t)
		}
	}
	return v.AppendTo(nil)
}

// decodeRecord decodes one record: the transactional id and its metadata,
// nil for a tombstone. ok is false for keys that are not transaction
// metadata (future record types), which loading skips.
func decodeRecord(key, value []byte) (id string, m *txnMeta, ok bool, err error) {
	if len(key) < 2 {
		return "", nil, false, fmt.Errorf("key of %d bytes", len(key))
	}
	if kv := int16(key[0])<<8 | int16(key[1]); kv != 0 {
		return "", nil, false, nil
	}
	var k kmsg.TxnMetadataKey
	if err := k.ReadFrom(key); err != nil {
		return "", nil, false, fmt.Errorf("decoding key: %w", err)
	}
	if value == nil {
		return k.TransactionalID, nil, true, nil
	}
	v := kmsg.NewTxnMetadataValue() // absent tagged fields keep Kafka's defaults (-1)
	if err := v.ReadFrom(value); err != nil {
		return "", nil, false, fmt.Errorf("decoding value of %q: %w", k.TransactionalID, err)
	}
	if v.State < 0 || v.State > 7 {
		return "", nil, false, fmt.Errorf("transaction %q: unknown state %d", k.TransactionalID, v.State)
	}
	if v.State == kmsg.TransactionState(Empty) && len(v.Topics) > 0 {
		// Kafka rejects this too: an Empty transaction has no partitions.
		return "", nil, false, fmt.Errorf("transaction %q: Empty with partitions", k.TransactionalID)
	}
	m = &txnMeta{
		id: k.TransactionalID, producerID: v.ProducerID, lastProducer: -1, epoch: v.ProducerEpoch, lastEpoch: -1,
		timeout: time.Duration(v.TimeoutMillis) * time.Millisecond, state: State(v.State),
		partitions: map[TopicPartition]bool{}, start: fromMillis(v.StartTimestamp), updated: fromMillis(v.LastUpdateTimestamp),
		nextProducer: -1,
	}
	if v.Version >= 1 && v.ClientTransactionVersion >= 2 {
		m.tv2, m.lastProducer, m.nextProducer = true, v.PreviousProducerID, v.NextProducerID
	}
	for _, t := range v.Topics {
		for _, p := range t.Partitions {
			m.partitions[TopicPartition{t.Topic, p}] = true
		}
	}
	return k.TransactionalID, m, true, nil
}
