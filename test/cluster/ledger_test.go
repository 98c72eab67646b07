package cluster

import (
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"
)

// op is one value the producer sent: value "vQQQQQQQQQ" for sequence Q.
type op struct {
	partition int32
	invoked   time.Time // before Produce, which may block on a full buffer
	done      time.Time // when the promise ran; zero until then
	acked     bool
	offset    int64 // where it was acknowledged, when acked
}

// write is a batch a broker acknowledged, as the client's hook saw it.
type write struct {
	at   time.Time
	node int32
}

// ledger is what the producer attempted, had acknowledged and saw fail,
// and which node acknowledged each batch. It is safe for concurrent use:
// franz-go runs promises and hooks on its own goroutines.
type ledger struct {
	mu       sync.Mutex
	ops      []op              // index = sequence
	writes   map[int32][]write // partition → batches, in time order
	failed   int
	firstErr []error // the first few failures, for the report
}

func newLedger() *ledger { return &ledger{writes: map[int32][]write{}} }

// attempt reserves the next sequence for a value to partition.
func (l *ledger) attempt(partition int32) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ops = append(l.ops, op{partition: partition, invoked: time.Now()})
	return len(l.ops) - 1
}

// result records how sequence seq ended: acknowledged at offset, or err.
func (l *ledger) result(seq int, offset int64, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	o := &l.ops[seq]
	o.done = time.Now()
	if err != nil {
		l.failed++
		if len(l.firstErr) < 5 {
			l.firstErr = append(l.firstErr, fmt.Errorf("v%09d: %w", seq, err))
		}
		return
	}
	o.acked, o.offset = true, offset
}

// written records a batch node acknowledged for partition. Times are taken
// under the lock, so each partition's writes stay in time order.
func (l *ledger) written(node, partition int32) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes[partition] = append(l.writes[partition], write{at: time.Now(), node: node})
}

// firstWrite returns the first write to partition after t by a node other
// than not.
func (l *ledger) firstWrite(partition int32, after time.Time, not int32) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ws := l.writes[partition]
	for i := sort.Search(len(ws), func(i int) bool { return ws[i].at.After(after) }); i < len(ws); i++ {
		if ws[i].node != not {
			return ws[i].at, true
		}
	}
	return time.Time{}, false
}

// acks counts the acknowledged values.
func (l *ledger) acks() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, o := range l.ops {
		if o.acked {
			n++
		}
	}
	return n
}

// status is a one-line summary for failure messages.
func (l *ledger) status() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	acked := 0
	for _, o := range l.ops {
		if o.acked {
			acked++
		}
	}
	return fmt.Sprintf("producer: %d attempted, %d acknowledged, %d failed; first failures %v", len(l.ops), acked, l.failed, l.firstErr)
}

// snapshot copies the ops for checking.
func (l *ledger) snapshot() []op {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]op(nil), l.ops...)
}

func value(seq int) []byte { return fmt.Appendf(nil, "v%09d", seq) }

// parseValue returns the sequence a value names.
func parseValue(v []byte) (int, bool) {
	if len(v) != 10 || v[0] != 'v' {
		return 0, false
	}
	seq, err := strconv.Atoi(string(v[1:]))
	return seq, err == nil
}
