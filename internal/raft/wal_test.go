package raft

import (
	"os"
	"path/filepath"
	"testing"

	pb "go.etcd.io/raft/v3/raftpb"
)

func entry(index, term uint64, data string) *pb.Entry {
	return &pb.Entry{Index: new(index), Term: new(term), Type: pb.EntryNormal.Enum(), Data: []byte(data)}
}

func writeWAL(t *testing.T, dir string, ents ...*pb.Entry) {
	t.Helper()
	w, _, err := openWAL(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if err := w.save(nil, []*pb.Entry{e}, true); err != nil {
			t.Fatal(err)
		}
	}
	hs := &pb.HardState{Term: new(uint64(2)), Vote: new(uint64(1)), Commit: new(uint64(3))}
	if err := w.save(hs, nil, true); err != nil {
		t.Fatal(err)
	}
	w.close()
}

func TestWALCorruption(t *testing.T) {
	tests := []struct {
		name        string
		damage      func(b []byte) []byte
		wantEntries int
		wantHS      bool
	}{
		{"intact", func(b []byte) []byte { return b }, 3, true},
		{"torn hardstate", func(b []byte) []byte { return b[:len(b)-1] }, 3, false},
		{"crc flip in last entry", func(b []byte) []byte { b[len(b)-40] ^= 0xff; return b }, 2, false},
		{"garbage length", func(b []byte) []byte { return append(b, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0) }, 3, true},
		{"zero fill", func(b []byte) []byte { return append(b, make([]byte, 64)...) }, 3, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeWAL(t, dir, entry(2, 1, "a"), entry(3, 1, "b"), entry(4, 2, "c"))
			path := filepath.Join(dir, walName)
			b, _ := os.ReadFile(path)
			os.WriteFile(path, tc.damage(b), 0o644)
			w, c, err := openWAL(dir)
			if err != nil {
				t.Fatal(err)
			}
			w.close()
			if len(c.entries) != tc.wantEntries || (c.hardState != nil) != tc.wantHS {
				t.Fatalf("%d entries, hardstate %v", len(c.entries), c.hardState)
			}
			// After truncation the file reads back cleanly.
			_, c2, _ := openWAL(dir)
			if c2.truncated != 0 || len(c2.entries) != tc.wantEntries {
				t.Fatalf("second open: truncated %d, %d entries", c2.truncated, len(c2.entries))
			}
		})
	}
}

func TestReplayOverwriteAndGap(t *testing.T) {
	snap := &pb.Snapshot{Metadata: &pb.SnapshotMetadata{Index: new(uint64(1)), Term: new(uint64(1)), ConfState: &pb.ConfState{Voters: []uint64{1}}}}
	t.Run("new leader overwrites suffix", func(t *testing.T) {
		dir := t.TempDir()
		if err := writeSnapshot(dir, snap); err != nil {
			t.Fatal(err)
		}
		writeWAL(t, dir, entry(2, 1, "a"), entry(3, 1, "b"), entry(4, 1, "c"), entry(3, 2, "B"))
		st, err := load(dir, []uint64{1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer st.wal.close()
		if st.last != 3 {
			t.Fatalf("last %d, want 3", st.last)
		}
		ents, _ := st.mem.Entries(2, 4, 1<<20)
		if string(ents[1].GetData()) != "B" || st.hs.GetCommit() != 3 {
			t.Fatalf("entries %v commit %d", ents, st.hs.GetCommit())
		}
	})
	t.Run("gap is an error", func(t *testing.T) {
		dir := t.TempDir()
		writeSnapshot(dir, snap)
		writeWAL(t, dir, entry(2, 1, "a"), entry(4, 1, "c"))
		if st, err := load(dir, []uint64{1}, nil); err == nil {
			st.wal.close()
			t.Fatal("loaded a wal with a gap")
		}
	})
	t.Run("corrupt snapshot is an error", func(t *testing.T) {
		dir := t.TempDir()
		writeSnapshot(dir, snap)
		b, _ := os.ReadFile(filepath.Join(dir, snapName))
		b[len(b)-1] ^= 1
		os.WriteFile(filepath.Join(dir, snapName), b, 0o644)
		if st, err := load(dir, []uint64{1}, nil); err == nil {
			st.wal.close()
			t.Fatal("loaded a corrupt snapshot")
		}
	})
}

func TestRaftIDMapping(t *testing.T) {
	for _, id := range []int32{0, 1, 1 << 30} {
		if RaftID(id) == 0 || NodeID(RaftID(id)) != id {
			t.Fatalf("mapping broken for %d", id)
		}
	}
	if NodeID(0) != -1 {
		t.Fatal("raft.None must map to -1")
	}
}
