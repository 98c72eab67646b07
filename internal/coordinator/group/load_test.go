package group

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/strom-project/strom/internal/record"
	"github.com/strom-project/strom/internal/storage"
)

func TestPartitionForMatchesKafka(t *testing.T) {
	for _, tc := range []struct {
		group string
		n     int32
		want  int32
	}{
		{"", 50, 0},
		{"a", 50, 97 % 50},
		{"hello", 50, 99162322 % 50},                      // "hello".hashCode() == 99162322
		{"polygenelubricants", 50, 0},                     // hashCode() == Integer.MIN_VALUE; Utils.abs maps it to 0
		{"\U0001F600", 1000, (31*0xD83D + 0xDE00) % 1000}, // hashed as two UTF-16 code units
		{"my-group", 1, 0},
	} {
		if got := PartitionFor(tc.group, tc.n); got != tc.want {
			t.Errorf("PartitionFor(%q, %d) = %d, want %d", tc.group, tc.n, got, tc.want)
		}
	}
}

// TestLoadRebuildsState replays what one core wrote into a fresh core.
func TestLoadRebuildsState(t *testing.T) {
	h := newHarness(t)
	ids, gen := h.stableGroup("live", 2, "t")
	h.c.commit(h.now, commitReq("live", ids[0], gen, co("t", 0, 10), co("t", 1, 11)))
	h.c.commit(h.now, commitReq("gone", "", -1, co("t", 0, 1)))
	h.c.deleteGroup(h.now, "gone")
	h.c.commit(h.now, commitReq("solo", "", -1, co("t", 0, 5)))
	h.c.commit(h.now, commitReq("solo", "", -1, co("t", 0, 6)))

	l := newLoader()
	for _, r := range h.j.recs {
		if err := l.record(r.key, r.value); err != nil {
			t.Fatal(err)
		}
	}
	h2 := newHarness(t)
	l.finish(h2.c, h2.now)
	h2.c.start(h2.now)
	if d := h2.c.describe("live"); d.State != "Stable" || len(d.Members) != 2 || string(d.Members[1].Assignment) != "assignment-of-"+ids[1] {
		t.Fatalf("loaded live group: %+v", d)
	}
	if o := h2.c.fetch("live", nil); len(o) != 2 || o[1].Offset != 11 {
		t.Fatalf("loaded offsets: %+v", o)
	}
	if h2.c.groups["gone"] != nil {
		t.Fatal("deleted group came back")
	}
	if o := h2.c.fetch("solo", nil); len(o) != 1 || o[0].Offset != 6 {
		t.Fatalf("last commit wins: %+v", o)
	}
	// Loaded members carry on at their generation, and expire if silent.
	h2.advance(6 * time.Second)
	wantErr(t, "heartbeat after load", h2.heartbeat("live", ids[0], gen), nil)
	h2.advance(5 * time.Second) // the other member has been silent 11 s
	if h2.state("live") != "PreparingRebalance" {
		t.Fatalf("state %s: silent loaded members should expire", h2.state("live"))
	}
}

// storageLog is an OffsetsLog over a bare storage.Log (one replica).
type storageLog struct{ l *storage.Log }

func (s storageLog) Append(b []byte) error {
	_, err := s.l.Append(b, storage.AppendOptions{RequiredAcks: -1, Origin: storage.AppendCoordinator})
	s.l.SetHighWatermark(s.l.LogEndOffset())
	return err
}

func (s storageLog) Read(off int64, max int32) (storage.ReadResult, error) {
	return s.l.Read(off, max, true, s.l.LogEndOffset())
}
func (s storageLog) LogStartOffset() int64 { return s.l.LogStartOffset() }
func (s storageLog) LogEndOffset() int64   { return s.l.LogEndOffset() }

func startShard(t *testing.T, l *storage.Log) *shard {
	t.Helper()
	cfg := testConfig()
	cfg.LoadBufferSize = 300 // several reads per load
	s := newShard(0, storageLog{l}, cfg, time.Now, randomMemberID, slog.New(slog.NewTextHandler(io.Discard, nil)))
	go s.run()
	waitUntil(t, "the shard to load", s.loaded.Load)
	return s
}

func TestShardPersistsAcrossRestart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), OffsetsTopic+"-0")
	l, err := storage.Open(storage.Options{Dir: dir, Config: storage.DefaultLogConfig()})
	if err != nil {
		t.Fatal(err)
	}
	s := startShard(t, l)
	ctx := context.Background()
	for i := int64(0); i < 20; i++ {
		err := s.do(ctx, func(c *core, now time.Time) {
			if errs := c.commit(now, commitReq("g", "", -1, co("t", int32(i%3), i))); errs[0] != nil {
				t.Errorf("commit: %v", errs[0])
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	s.stop()
	<-s.done
	wantErr(t, "request after stop", s.do(ctx, func(*core, time.Time) {}), ErrNotCoordinator)

	// Every record is an ordinary batch in the partition.
	rr, err := l.Read(0, 1<<20, true, l.LogEndOffset())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for it := (record.Iter{Buf: rr.Records}); it.Next(); {
		n++
	}
	if n != 20 {
		t.Fatalf("%d batches in the log, want 20", n)
	}

	s2 := startShard(t, l)
	defer func() { s2.stop(); <-s2.done }()
	var got []OffsetData
	s2.do(ctx, func(c *core, _ time.Time) { got = c.fetch("g", nil) })
	if len(got) != 3 || got[0].Offset != 18 || got[1].Offset != 19 || got[2].Offset != 17 {
		t.Fatalf("offsets after reload: %+v", got)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}
