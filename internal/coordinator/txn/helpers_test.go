package txn

import (
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/strom-project/strom/internal/record"
	"github.com/strom-project/strom/internal/testutil"
)

// memJournal keeps written batches in memory, as the log would.
type memJournal struct {
	batches [][]byte
	fail    error
}

func (j *memJournal) write(now time.Time, recs []kv) error {
	if j.fail != nil {
		return j.fail
	}
	nrs := make([]record.NewRecord, len(recs))
	for i, r := range recs {
		nrs[i] = record.NewRecord{Key: r.key, Value: r.value}
	}
	b, err := record.Build(nil, record.BatchSpec{BaseTimestamp: now.UnixMilli(), ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Records: nrs})
	if err != nil {
		return err
	}
	j.batches = append(j.batches, b)
	return nil
}

// harness drives a core with a fake clock and sequential producer ids
// (1000, 1001, ...).
type harness struct {
	t     *testing.T
	c     *core
	j     *memJournal
	clock *testutil.Clock
	pids  int64
}

func newHarness(t *testing.T, cfgs ...func(*Config)) *harness {
	t.Helper()
	cfg := DefaultConfig()
	for _, f := range cfgs {
		f(&cfg)
	}
	h := &harness{t: t, j: &memJournal{}, clock: testutil.NewClock(), pids: 999}
	h.c = newCore(cfg, h.j, h.newPID, slog.New(slog.NewTextHandler(io.Discard, nil)))
	h.c.start(h.clock.Now())
	return h
}

func (h *harness) newPID() (int64, error) {
	h.pids++
	return h.pids, nil
}

// replay loads everything written so far into a fresh core, as a new
// coordinator does after failover.
func (h *harness) replay() *core {
	h.t.Helper()
	l := newLoader()
	for _, b := range h.j.batches {
		if err := l.batch(b); err != nil {
			h.t.Fatalf("replay: %v", err)
		}
	}
	if l.firstErr != nil {
		h.t.Fatalf("replay skipped records: %v", l.firstErr)
	}
	c := newCore(h.c.cfg, &memJournal{}, h.newPID, h.c.logger)
	l.finish(c)
	c.start(h.clock.Now())
	return c
}

func (h *harness) init(id string, pid int64, epoch int16) InitResult {
	h.t.Helper()
	return h.c.initProducer(id, time.Minute, pid, epoch, h.clock.Now())
}

func (h *harness) mustInit(id string) InitResult {
	h.t.Helper()
	r := h.init(id, -1, -1)
	if r.Err != nil {
		h.t.Fatalf("init %q: %v", id, r.Err)
	}
	return r
}

func (h *harness) add(id string, r InitResult, tps ...TopicPartition) error {
	return h.c.addPartitions(id, r.ProducerID, r.ProducerEpoch, tps, false, h.clock.Now())
}

func (h *harness) state(id string) State {
	h.t.Helper()
	m := h.c.txns[id]
	if m == nil {
		h.t.Fatalf("no transaction %q", id)
	}
	return m.state
}

// completeMarkers answers every queued marker job as written.
func (h *harness) completeMarkers() []MarkerJob {
	jobs := h.c.takeJobs()
	for _, j := range jobs {
		h.c.markersWritten(j, h.clock.Now())
	}
	return jobs
}

func wantErr(t *testing.T, what string, got, want error) {
	t.Helper()
	if !errors.Is(got, want) && got != want {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

var tp0, tp1 = TopicPartition{"t", 0}, TopicPartition{"t", 1}
