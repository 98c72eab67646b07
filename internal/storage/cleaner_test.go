package storage

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strom-project/strom/internal/record"
)

func TestOffsetMapBounded(t *testing.T) {
	m := newOffsetMap(10*offsetMapSlotBytes, 1000) // 10 slots, 9 usable
	if len(m.slots) != 10*offsetMapSlotBytes {
		t.Fatalf("map uses %d bytes, budget %d", len(m.slots), 10*offsetMapSlotBytes)
	}
	for i := range 9 {
		if !m.put([]byte(keyName(i)), int64(i)) {
			t.Fatalf("put %d refused below the load factor", i)
		}
	}
	if m.put([]byte("one-too-many"), 100) {
		t.Fatal("put beyond the load factor accepted")
	}
	if !m.put([]byte(keyName(3)), 50) {
		t.Fatal("updating an existing key refused when full")
	}
	if got := m.get([]byte(keyName(3))); got != 50 {
		t.Fatalf("get = %d, want 50", got)
	}
	if got := m.get([]byte("absent")); got != -1 {
		t.Fatalf("get(absent) = %d", got)
	}
	if m.latestOffset != 50 {
		t.Fatalf("latestOffset = %d", m.latestOffset)
	}
	if small := newOffsetMap(128<<20, 5); len(small.slots) > 16*offsetMapSlotBytes {
		t.Fatalf("a 5-key round allocated %d bytes", len(small.slots))
	}
}

// A full map ends the round at the last offset that fit; the rest stays dirty.
func TestCleanerStopsWhereMapIsFull(t *testing.T) {
	tl := openTestLog(t, compactConfig())
	for i := range 40 {
		tl.append(kvBatch(t, 1000, -1, 0, 0, kv{keyName(i), val(fmt.Sprintf("v%d", i))}))
	}
	c := tl.cleanable(-1, tl.clock.Now().UnixMilli())
	end, err := tl.clean(cleanRound{ltc: c, memBytes: 11 * offsetMapSlotBytes, ioBuf: 256, done: func() bool { return false }})
	if err != nil {
		t.Fatal(err)
	}
	if end != 9 { // 11 slots × 0.9 = 9 keys
		t.Fatalf("round ended at %d, want 9", end)
	}
	if got := len(tl.records()); got != 40 {
		t.Fatalf("%d records after cleaning distinct keys, want 40", got)
	}
}

func TestCleanerKeepsLatestPerKeyWithOffsets(t *testing.T) {
	for _, comp := range []record.Compression{record.CompressionNone, record.CompressionZstd, record.CompressionSnappy} {
		t.Run(comp.String(), func(t *testing.T) {
			tl := openTestLog(t, compactConfig())
			for i := range 60 {
				tl.append(kvBatch(t, int64(1000+i), -1, 0, comp,
					kv{keyName(i % 4), val(fmt.Sprintf("v%d", 2*i))}, kv{keyName(i%3 + 10), val(fmt.Sprintf("v%d", 2*i+1))}))
			}
			before := tl.records()
			segsBefore, sizeBefore := tl.NumSegments(), tl.Size()
			end, err := tl.cleanNow(-1)
			if err != nil {
				t.Fatal(err)
			}
			if end <= 0 || end > tl.activeSegment().base {
				t.Fatalf("end %d outside (0, active base %d]", end, tl.activeSegment().base)
			}
			after := tl.records()
			want := latestBelow(before, end)
			seen := map[string]bool{}
			for _, r := range after {
				if r.value != fmt.Sprintf("v%d", r.offset) {
					t.Fatalf("record at %d has value %q: offsets moved", r.offset, r.value)
				}
				if r.offset < end {
					if w := want[r.key]; w.offset != r.offset {
						t.Fatalf("key %s kept at %d, latest is %d", r.key, r.offset, w.offset)
					}
					seen[r.key] = true
				}
			}
			if len(seen) != len(want) {
				t.Fatalf("cleaned part holds %d keys, want %d", len(seen), len(want))
			}
			var tail int
			for _, r := range before {
				if r.offset >= end {
					tail++
				}
			}
			if len(after) != len(want)+tail {
				t.Fatalf("%d records after, want %d latest + %d uncleaned", len(after), len(want), tail)
			}
			if tl.Size() >= sizeBefore {
				t.Fatalf("size %d→%d: nothing compacted", sizeBefore, tl.Size())
			}
			// Segments are grouped by their input size (Kafka's
			// groupSegmentsBySize): the now small ones merge next round.
			if _, err := tl.cleanNow(-1); err != nil {
				t.Fatal(err)
			}
			if tl.NumSegments() >= segsBefore {
				t.Fatalf("segments %d→%d: small cleaned segments not merged", segsBefore, tl.NumSegments())
			}
			if got := tl.records(); len(got) != len(after) {
				t.Fatalf("second round changed %d records to %d", len(after), len(got))
			}
			// The rewritten log survives a restart (indexes, recovery scan).
			tl.Close()
			tl.reopen(false, 0)
			if got := tl.records(); len(got) != len(after) {
				t.Fatalf("after restart %d records, want %d", len(got), len(after))
			}
		})
	}
}

func TestCleanerRetainsEmptyBatchOfIdempotentProducer(t *testing.T) {
	tl := openTestLog(t, compactConfig())
	tl.append(kvBatch(t, 1000, 7, 0, 0, kv{"a", val("v0")}))
	for i := 1; i < 30; i++ {
		tl.append(kvBatch(t, 1000, -1, 0, 0, kv{"a", val(fmt.Sprintf("v%d", i))}))
	}
	if _, err := tl.cleanNow(-1); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, b := range tl.readAllBatches() {
		h, _ := record.ParseHeader(b)
		if h.ProducerID == 7 {
			found = true
			if h.RecordCount != 0 || h.BaseOffset != 0 || h.LastOffset() != 0 || h.BaseSequence != 0 {
				t.Fatalf("producer batch after cleaning: %+v, want an empty batch at 0", h)
			}
		}
	}
	if !found {
		t.Fatal("the producer's last batch was removed; its sequence state would be lost")
	}
	tl.Close()
	tl.reopen(false, 0)
	ps := tl.Producers()
	if len(ps) != 1 || ps[0].ProducerID != 7 || ps[0].LastSequence != 0 {
		t.Fatalf("producers after restart: %+v", ps)
	}
}

func TestCleanerTombstonesLiveForDeleteRetention(t *testing.T) {
	cfg := compactConfig()
	cfg.DeleteRetentionMs = 60_000
	tl := openTestLog(t, cfg)
	tl.append(kvBatch(t, 1000, -1, 0, 0, kv{"gone", val("x")}))
	tl.append(kvBatch(t, 1000, -1, 0, 0, kv{"gone", nil}))
	for i := range 30 {
		tl.append(kvBatch(t, 1000, -1, 0, 0, kv{keyName(i % 3), val("filler")}))
	}
	tombstone := func() bool {
		for _, r := range tl.records() {
			if r.key == "gone" {
				if !r.tombstone {
					t.Fatalf("the overwritten value of 'gone' survived at %d", r.offset)
				}
				return true
			}
		}
		return false
	}
	if _, err := tl.cleanNow(-1); err != nil || !tombstone() {
		t.Fatalf("first clean: err %v, tombstone kept %v; want kept", err, tombstone())
	}
	tl.clock.Advance(59 * time.Second)
	if _, err := tl.cleanNow(-1); err != nil || !tombstone() {
		t.Fatalf("before delete.retention.ms: err %v, tombstone kept %v; want kept", err, tombstone())
	}
	tl.clock.Advance(2 * time.Second)
	if _, err := tl.cleanNow(-1); err != nil || tombstone() {
		t.Fatalf("after delete.retention.ms: err %v, tombstone kept %v; want removed", err, tombstone())
	}
}

func TestCleanerCompactionLag(t *testing.T) {
	cfg := compactConfig()
	cfg.MinCompactionLagMs = time.Hour.Milliseconds()
	tl := openTestLog(t, cfg)
	now := tl.clock.Now().UnixMilli()
	for range 30 {
		tl.append(kvBatch(t, now, -1, 0, 0, kv{"k", val("v")}))
	}
	if c := tl.cleanable(-1, now); c.shouldClean() || c.cleanableBytes != 0 {
		t.Fatalf("segments younger than min.compaction.lag.ms cleanable: %+v", c)
	}
	tl.clock.Advance(2 * time.Hour)
	c := tl.cleanable(-1, tl.clock.Now().UnixMilli())
	if !c.shouldClean() {
		t.Fatalf("segments past min.compaction.lag.ms not cleanable: %+v", c)
	}
	end, err := tl.cleanNow(-1)
	if err != nil {
		t.Fatal(err)
	}
	// A little more dirty data: below min.cleanable.dirty.ratio …
	cfg.MinCompactionLagMs, cfg.MinCleanableDirtyRatio = 0, 0.99
	tl.SetConfig(cfg)
	for range 12 {
		tl.append(kvBatch(t, tl.clock.Now().UnixMilli(), -1, 0, 0, kv{"k", val("v")}))
	}
	if c := tl.cleanable(end, tl.clock.Now().UnixMilli()); c.shouldClean() {
		t.Fatalf("ratio %.2f below 0.99 but cleanable", c.ratio())
	}
	// … until max.compaction.lag.ms forces it.
	cfg.MaxCompactionLagMs = 1000
	tl.SetConfig(cfg)
	tl.clock.Advance(2 * time.Second)
	if c := tl.cleanable(end, tl.clock.Now().UnixMilli()); !c.needNow || !c.shouldClean() {
		t.Fatalf("max.compaction.lag.ms passed but not forced: %+v", c)
	}
}

func TestCompactDeleteRetention(t *testing.T) {
	for _, tc := range []struct {
		policy  CleanupPolicy
		deletes bool
	}{{CleanupCompact, false}, {CleanupCompact | CleanupDelete, true}, {CleanupDelete, true}} {
		t.Run(fmt.Sprint(tc.policy), func(t *testing.T) {
			cfg := compactConfig()
			cfg.CleanupPolicy, cfg.RetentionMs = tc.policy, 1000
			tl := openTestLog(t, cfg)
			for range 20 {
				tl.append(kvBatch(t, tl.clock.Now().UnixMilli(), -1, 0, 0, kv{"k", val("v")}))
			}
			tl.clock.Advance(time.Minute)
			n, err := tl.DeleteOldSegments()
			if err != nil || (n > 0) != tc.deletes {
				t.Fatalf("retention deleted %d segments (err %v), want deletion %v", n, err, tc.deletes)
			}
		})
	}
}

func TestCompactedTopicRejectsNullKey(t *testing.T) {
	tl := openTestLog(t, compactConfig())
	b := mkBatch(t, batchOpt{})
	spec := record.BatchSpec{ProducerID: -1, BaseSequence: -1, ProducerEpoch: -1, Records: []record.NewRecord{{Value: []byte("v")}}}
	nokey, _ := record.Build(nil, spec)
	if _, err := tl.Append(b, AppendOptions{}); err != nil {
		t.Fatalf("keyed batch: %v", err)
	}
	_, err := tl.Append(nokey, AppendOptions{})
	if !errors.Is(err, ErrInvalidRecord) || !strings.Contains(err.Error(), "Compacted topic cannot accept message without key") {
		t.Fatalf("null key on a compacted topic: %v", err)
	}
}

// A crash at each step of the swap leaves either the old or the new
// segments, never both or neither, and no temporary files.
func TestCleanerCrashMidSwap(t *testing.T) {
	for _, step := range []string{"cleaned", "swap", "deleted"} {
		t.Run(step, func(t *testing.T) {
			tl := openTestLog(t, compactConfig())
			for i := range 40 {
				tl.append(kvBatch(t, 1000, -1, 0, 0, kv{keyName(i % 3), val(fmt.Sprintf("v%d", i))}))
			}
			before := tl.records()
			tl.cleanerHook = func(s string) error {
				if s == step {
					return errSimulatedCrash
				}
				return nil
			}
			if _, err := tl.cleanNow(-1); !errors.Is(err, errSimulatedCrash) {
				t.Fatalf("clean: %v", err)
			}
			crashed := tl.Log
			tl.reopen(false, 0)
			defer crashed.closeForDelete()
			after := tl.records()
			if step == "cleaned" && len(after) != len(before) {
				t.Fatalf("crash before the commit point: %d records, want the original %d", len(after), len(before))
			}
			if step != "cleaned" && len(after) >= len(before) {
				t.Fatalf("crash after the commit point: %d records, want the cleaned log (< %d)", len(after), len(before))
			}
			want := latestBelow(before, tl.LogEndOffset())
			if got := latestBelow(after, tl.LogEndOffset()); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("latest values differ after recovery:\n got %v\nwant %v", got, want)
			}
			ents, _ := os.ReadDir(tl.dir)
			for _, e := range ents {
				if strings.HasSuffix(e.Name(), cleanedSuffix) || strings.HasSuffix(e.Name(), swapSuffix) {
					t.Fatalf("leftover %s after recovery", e.Name())
				}
			}
		})
	}
}

// Readers and fetches keep working while segments are swapped under them.
func TestCleanerConcurrentReads(t *testing.T) {
	tl := openTestLog(t, compactConfig())
	for i := range 40 {
		tl.append(kvBatch(t, 1000, -1, 0, 0, kv{keyName(i % 5), val(fmt.Sprintf("v%d", i))}))
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			for off := tl.LogStartOffset(); off < tl.HighWatermark(); {
				res, err := tl.Read(off, 300, true, tl.HighWatermark())
				if err != nil {
					errs <- err
					return
				}
				it := record.Iter{Buf: res.Records}
				for it.Next() {
					if _, err := record.CheckIntegrity(it.Batch); err != nil {
						errs <- err
						return
					}
					off = it.Header.NextOffset()
				}
				if len(res.Records) == 0 {
					errs <- fmt.Errorf("empty read at %d below HW %d", off, tl.HighWatermark())
					return
				}
			}
		}
	}()
	cp := int64(-1)
	for i := range 20 {
		tl.append(kvBatch(t, 1000, -1, 0, 0, kv{keyName(i % 5), val(fmt.Sprintf("v%d", 40+i))}))
		end, err := tl.cleanNow(cp)
		if err != nil {
			t.Fatal(err)
		}
		cp = end
	}
	close(stop)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatalf("concurrent read: %v", err)
	default:
	}
}

// The Manager picks compacted logs only, cleans them and checkpoints where
// it stopped in cleaner-offset-checkpoint, which survives a restart.
func TestManagerCleanerCheckpoint(t *testing.T) {
	dir := t.TempDir()
	clock := newClock()
	open := func() *Manager {
		m, err := NewManagerWithOptions([]string{dir}, ManagerOptions{Logger: quietLogger, Now: clock.Now, Cleaner: CleanerOptions{Disabled: true}})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := open()
	compacted, err := m.GetOrCreate("compacted", 0, compactConfig())
	if err != nil {
		t.Fatal(err)
	}
	plain, err := m.GetOrCreate("plain", 0, LogConfig{SegmentBytes: 600})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		for _, l := range []*Log{compacted, plain} {
			if _, err := l.Append(kvBatch(t, 1000, -1, 0, 0, kv{keyName(i % 2), val("v")}), AppendOptions{}); err != nil {
				t.Fatal(err)
			}
			l.SetHighWatermark(l.LogEndOffset())
		}
	}
	plainSize := plain.Size()
	if n := m.RunCleaner(); n < 1 {
		t.Fatalf("RunCleaner ran %d rounds", n)
	}
	cp := m.CleanerCheckpoint("compacted", 0)
	if cp <= 0 || m.CleanerCheckpoint("plain", 0) != -1 || plain.Size() != plainSize {
		t.Fatalf("checkpoints compacted=%d plain=%d, plain size %d→%d", cp, m.CleanerCheckpoint("plain", 0), plainSize, plain.Size())
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(dir + "/" + cleanerCheckpointFile)
	if err != nil || !strings.Contains(string(b), fmt.Sprintf("compacted 0 %d\n", cp)) {
		t.Fatalf("cleaner-offset-checkpoint: %q, %v", b, err)
	}
	m = open()
	defer m.Close()
	if got := m.CleanerCheckpoint("compacted", 0); got != cp {
		t.Fatalf("after restart checkpoint %d, want %d", got, cp)
	}
}
