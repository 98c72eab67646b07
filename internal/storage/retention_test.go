package storage

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestRetentionByTime(t *testing.T) {
	tl := openTestLog(t, LogConfig{SegmentBytes: 2048, RetentionMs: 60_000, FileDeleteDelayMs: -1})
	appendN(tl, 12) // 3 segments of 4 batches
	old := tl.NumSegments()
	tl.clock.Advance(30 * time.Second)
	appendN(tl, 4)
	if n, err := tl.DeleteOldSegments(); err != nil || n != 0 {
		t.Fatalf("deleted %d early (%v)", n, err)
	}
	tl.clock.Advance(31 * time.Second)
	n, err := tl.DeleteOldSegments()
	if err != nil || n != old {
		t.Fatalf("deleted %d of %d old segments: %v", n, old, err)
	}
	if tl.LogStartOffset() != 24 {
		t.Fatalf("LSO %d", tl.LogStartOffset())
	}
	if _, err := tl.Read(0, 100, true, tl.LogEndOffset()); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("read below LSO: %v", err)
	}
	if hs := tl.readAll(24); len(hs) != 4 {
		t.Fatalf("%d batches left", len(hs))
	}
	waitFor(t, 5*time.Second, func() bool {
		m, _ := filepath.Glob(filepath.Join(tl.dir, "*.deleted"))
		l, _ := filepath.Glob(filepath.Join(tl.dir, "*.log"))
		return len(m) == 0 && len(l) == 1
	})
	// Everything expired: the active segment is rolled and deleted too.
	tl.clock.Advance(2 * time.Minute)
	if _, err := tl.DeleteOldSegments(); err != nil {
		t.Fatal(err)
	}
	if tl.LogStartOffset() != tl.LogEndOffset() || tl.LogEndOffset() != 32 {
		t.Fatalf("LSO %d LEO %d", tl.LogStartOffset(), tl.LogEndOffset())
	}
	if res, err := tl.Read(32, 100, true, 32); err != nil || len(res.Records) != 0 {
		t.Fatalf("read at LSO=LEO: %v", err)
	}
}

func TestRetentionBySize(t *testing.T) {
	tl := openTestLog(t, LogConfig{SegmentBytes: 2048, RetentionBytes: 5000, FileDeleteDelayMs: 50})
	appendN(tl, 40)
	if _, err := tl.DeleteOldSegments(); err != nil {
		t.Fatal(err)
	}
	if sz := tl.Size(); sz > 5000+2048 || sz < 5000-2048 { // Kafka keeps up to a segment over
		t.Fatalf("size %d after retention", sz)
	}
	if hs := tl.readAll(tl.LogStartOffset()); int64(len(hs)*2) != tl.LogEndOffset()-tl.LogStartOffset() {
		t.Fatalf("%d batches", len(hs))
	}
}

func TestRetentionRespectsHighWatermark(t *testing.T) {
	tl := openTestLog(t, LogConfig{SegmentBytes: 2048, RetentionBytes: 1})
	for i := 0; i < 20; i++ {
		tl.Append(mkBatch(t, batchOpt{n: 2, size: 200}), AppendOptions{})
	}
	tl.SetHighWatermark(0)
	if n, _ := tl.DeleteOldSegments(); n != 0 {
		t.Fatalf("deleted %d segments above the HW", n)
	}
}

func TestDeleteRecordsBefore(t *testing.T) {
	tl := openTestLog(t, LogConfig{SegmentBytes: 2048, FileDeleteDelayMs: -1})
	appendN(tl, 20)
	if err := tl.DeleteRecordsBefore(tl.LogEndOffset() + 1); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("above HW: %v", err)
	}
	if err := tl.DeleteRecordsBefore(17); err != nil {
		t.Fatal(err)
	}
	if tl.LogStartOffset() != 17 {
		t.Fatalf("LSO %d", tl.LogStartOffset())
	}
	res, err := tl.Read(17, 1, true, 40)
	if err != nil || tl.headers(res.Records)[0].BaseOffset != 16 {
		t.Fatalf("read at LSO: %v", err)
	}
	n, _ := tl.DeleteOldSegments()
	if n != 2 { // [0,8) and [8,16); [16,24) holds the LSO
		t.Fatalf("deleted %d segments below LSO", n)
	}
}

func TestManager(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir()}
	clock := newClock()
	m, err := NewManagerWithOptions(dirs, ManagerOptions{Logger: quietLogger, Now: clock.Now, RetentionCheckInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	m.Start()
	cfg := LogConfig{SegmentBytes: 2048, RetentionMs: 1000, FileDeleteDelayMs: -1}
	var logs []*Log
	for p := int32(0); p < 4; p++ {
		l, err := m.GetOrCreate("orders", p, cfg)
		if err != nil {
			t.Fatal(err)
		}
		logs = append(logs, l)
		for i := 0; i < 10; i++ {
			l.Append(mkBatch(t, batchOpt{n: 2, size: 200, ts: clock.Now().UnixMilli()}), AppendOptions{})
		}
		l.SetHighWatermark(l.LogEndOffset())
	}
	if l, _ := m.GetOrCreate("orders", 0, cfg); l != logs[0] || m.Get("orders", 3) != logs[3] {
		t.Fatal("GetOrCreate did not return the open log")
	}
	if _, err := m.GetOrCreate("../etc", 0, cfg); err == nil {
		t.Fatal("path traversal accepted")
	}
	// Balanced over the two dirs.
	for _, d := range dirs {
		if m, _ := filepath.Glob(filepath.Join(d, "orders-*")); len(m) != 2 {
			t.Fatalf("%s holds %d partitions", d, len(m))
		}
	}
	clock.Advance(time.Hour)
	waitFor(t, 5*time.Second, func() bool { return logs[0].LogStartOffset() == 20 && logs[3].LogStartOffset() == 20 })
	if err := m.Remove("orders", 1); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, cleanShutdownFile)); err != nil {
			t.Fatalf("no clean-shutdown marker: %v", err)
		}
		b, _ := os.ReadFile(filepath.Join(d, logStartOffsetCheckpointFile))
		cp, err := parseOffsetCheckpoint(b)
		if err != nil || len(cp) == 0 {
			t.Fatalf("checkpoint %q: %v", b, err)
		}
	}

	m, err = NewManagerWithOptions(dirs, ManagerOptions{Logger: quietLogger, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, cleanShutdownFile)); !os.IsNotExist(err) {
			t.Fatal("marker not removed at startup")
		}
	}
	if got := len(m.Partitions()); got != 3 {
		t.Fatalf("%d partitions on disk after removing one", got)
	}
	l, err := m.GetOrCreate("orders", 2, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if l.LogStartOffset() != 20 || l.LogEndOffset() != 20 {
		t.Fatalf("reopened LSO %d LEO %d", l.LogStartOffset(), l.LogEndOffset())
	}
}
