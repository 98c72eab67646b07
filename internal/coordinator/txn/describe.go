package txn

import (
	"context"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// Description is one transaction as DescribeTransactions and
// ListTransactions show it.
type Description struct {
	TransactionalID string
	State           State
	ProducerID      int64
	ProducerEpoch   int16
	Timeout         time.Duration
	Start           time.Time // zero: no transaction in flight
	Partitions      []TopicPartition
}

func describe(m *txnMeta) Description {
	return Description{
		TransactionalID: m.id, State: m.state, ProducerID: m.producerID, ProducerEpoch: m.epoch,
		Timeout: m.timeout, Start: m.start, Partitions: m.partitionList(),
	}
}

// Describe is DescribeTransactions for one id (KIP-664):
// TRANSACTIONAL_ID_NOT_FOUND for an id this coordinator does not know.
func (c *Coordinator) Describe(ctx context.Context, id string) (Description, error) {
	var d Description
	err := c.on(ctx, id, func(co *core, _ time.Time) error {
		m := co.txns[id]
		if m == nil {
			return kerr.TransactionalIDNotFound
		}
		d = describe(m)
		return nil
	})
	return d, err
}

// ListFilter selects transactions for ListTransactions; empty fields
// match everything.
type ListFilter struct {
	States      []State
	ProducerIDs []int64
	// MinDuration (v1, KIP-994) keeps transactions running at least this
	// long; 0 or negative keeps all.
	MinDuration time.Duration
}

// List is ListTransactions over every partition this broker coordinates.
// Partitions still loading are reported in loading.
func (c *Coordinator) List(ctx context.Context, f ListFilter) (out []Description, loading bool) {
	for _, s := range c.allShards() {
		err := s.do(ctx, func(co *core, now time.Time) {
			for _, id := range co.sortedIDs() {
				m := co.txns[id]
				switch {
				case len(f.States) > 0 && !slices.Contains(f.States, m.state),
					len(f.ProducerIDs) > 0 && !slices.Contains(f.ProducerIDs, m.producerID),
					f.MinDuration > 0 && (m.start.IsZero() || now.Sub(m.start) < f.MinDuration):
					continue
				}
				out = append(out, describe(m))
			}
		})
		if err == kerr.CoordinatorLoadInProgress {
			loading = true
		}
	}
	slices.SortFunc(out, func(a, b Description) int {
		if a.TransactionalID < b.TransactionalID {
			return -1
		}
		if a.TransactionalID > b.TransactionalID {
			return 1
		}
		return 0
	})
	return out, loading
}

// ParseState is the inverse of State.String; ok is false for a name Kafka
// does not define.
func ParseState(name string) (State, bool) {
	for s := Empty; s <= PrepareEpochFence; s++ {
		if s.String() == name {
			return s, true
		}
	}
	return 0, false
}
