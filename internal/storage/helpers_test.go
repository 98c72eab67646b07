package storage

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/strom-project/strom/internal/record"
	"github.com/strom-project/strom/internal/testutil"
)

// fakeClock is the shared test clock.
type fakeClock = testutil.Clock

func newClock() *fakeClock { return testutil.NewClock() }

var quietLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

type batchOpt struct {
	n, size     int
	ts          int64
	pid         int64
	epoch       int16
	seq         int32
	compression record.Compression
}

// mkBatch builds a client batch; values encode the record's index so tests
// can check content.
func mkBatch(t testing.TB, o batchOpt) []byte {
	t.Helper()
	if o.n == 0 {
		o.n = 1
	}
	if o.pid == 0 {
		o.pid, o.epoch, o.seq = -1, -1, -1
	}
	recs := make([]record.NewRecord, o.n)
	for i := range recs {
		v := bytes.Repeat([]byte{'x'}, o.size)
		copy(v, fmt.Sprintf("v%d", i))
		recs[i] = record.NewRecord{TimestampDelta: int64(i), Key: []byte(fmt.Sprintf("k%d", i)), Value: v}
	}
	b, err := record.Build(nil, record.BatchSpec{BaseTimestamp: o.ts, ProducerID: o.pid, ProducerEpoch: o.epoch,
		BaseSequence: o.seq, Compression: o.compression, Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type testLog struct {
	*Log
	t     testing.TB
	dir   string
	clock *fakeClock
	cfg   LogConfig
}

func openTestLog(t testing.TB, cfg LogConfig) *testLog {
	t.Helper()
	tl := &testLog{t: t, dir: t.TempDir() + "/topic-0", clock: newClock(), cfg: cfg}
	tl.reopen(true, 0)
	t.Cleanup(func() { tl.Log.Close() })
	return tl
}

func (tl *testLog) reopen(clean bool, rp int64) {
	tl.t.Helper()
	l, err := Open(Options{Dir: tl.dir, Config: tl.cfg, Now: tl.clock.Now, Logger: quietLogger, Clean: clean, RecoveryPoint: rp})
	if err != nil {
		tl.t.Fatalf("Open: %v", err)
	}
	tl.Log = l
}

func (tl *testLog) append(b []byte) AppendResult {
	tl.t.Helper()
	res, err := tl.Append(b, AppendOptions{LeaderEpoch: 1, RequiredAcks: -1})
	if err != nil {
		tl.t.Fatalf("Append: %v", err)
	}
	tl.SetHighWatermark(tl.LogEndOffset())
	return res
}

// readAll reads every batch from offset to the LEO, checking order.
func (tl *testLog) readAll(from int64) []record.Header {
	tl.t.Helper()
	var hs []record.Header
	for off := from; off < tl.LogEndOffset(); {
		res, err := tl.Read(off, 1<<20, true, tl.LogEndOffset())
		if err != nil {
			tl.t.Fatalf("Read(%d): %v", off, err)
		}
		if len(res.Records) == 0 {
			tl.t.Fatalf("Read(%d): empty below LEO %d", off, tl.LogEndOffset())
		}
		it := record.Iter{Buf: res.Records}
		for it.Next() {
			if _, err := record.Validate(it.Batch, record.Limits{}); err != nil {
				tl.t.Fatalf("batch at %d invalid: %v", it.Header.BaseOffset, err)
			}
			hs = append(hs, it.Header)
			off = it.Header.NextOffset()
		}
		if it.Err != nil {
			tl.t.Fatalf("Read(%d) returned a partial batch: %v", off, it.Err)
		}
	}
	return hs
}

func waitFor(t testing.TB, timeout time.Duration, cond func() bool) {
	t.Helper()
	testutil.WaitUntil(t, timeout, "condition", cond)
}
