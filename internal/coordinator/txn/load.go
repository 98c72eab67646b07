package txn

import (
	"fmt"
	"maps"
	"slices"

	"github.com/strom-project/strom/internal/record"
)

// loader replays a partition's records: the last record per
// transactional id wins; a tombstone removes it.
type loader struct {
	txns     map[string]*txnMeta
	records  int
	skipped  int
	firstErr error
}

func newLoader() *loader { return &loader{txns: map[string]*txnMeta{}} }

// batch replays one record batch. Control batches (none are expected in
// __transaction_state) are skipped.
func (l *loader) batch(b []byte) error {
	h, err := record.ParseHeader(b)
	if err != nil {
		return err
	}
	if h.IsControl() {
		return nil
	}
	return record.ForEachRecord(b, record.Limits{}, func(h *record.Header, r *record.Record) bool {
		l.records++
		id, m, ok, err := decodeRecord(r.Key, r.Value)
		switch {
		case err != nil:
			// A record that does not decode must not make every
			// transaction of the partition unavailable.
			l.skipped++
			if l.firstErr == nil {
				l.firstErr = fmt.Errorf("offset %d: %w", h.BaseOffset+int64(r.OffsetDelta), err)
			}
		case !ok:
		case m == nil:
			delete(l.txns, id)
		default:
			l.txns[id] = m
		}
		return true
	})
}

// finish installs the loaded state in the core.
func (l *loader) finish(c *core) { c.txns = l.txns }

func (l *loader) String() string {
	return fmt.Sprintf("%d records, %d transactional ids, %d skipped", l.records, len(l.txns), l.skipped)
}

func (c *core) sortedIDs() []string { return slices.Sorted(maps.Keys(c.txns)) }
