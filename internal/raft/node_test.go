package raft

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// listSM is a state machine whose state is the list of applied payloads.
type listSM struct {
	mu       sync.Mutex
	index    uint64
	entries  []string
	restores []uint64 // index of every Restore
}

func (s *listSM) Restore(index uint64, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.index, s.entries = index, nil
	s.restores = append(s.restores, index)
	if len(data) > 0 {
		s.entries = strings.Split(string(data), ",")
	}
	return nil
}

func (s *listSM) Apply(index uint64, data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if index <= s.index {
		return fmt.Errorf("apply %d after %d", index, s.index)
	}
	s.index = index
	if bytes.HasPrefix(data, []byte("bad")) {
		return fmt.Errorf("rejected %q", data)
	}
	s.entries = append(s.entries, string(data))
	return nil
}

func (s *listSM) Flush() error { return nil }

func (s *listSM) Snapshot() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return []byte(strings.Join(s.entries, ",")), nil
}

func (s *listSM) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.entries...)
}

func (s *listSM) restored() []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]uint64(nil), s.restores...)
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func startNode(t *testing.T, dir string, sm *listSM, snapEvery uint64) *Node {
	t.Helper()
	n, err := Start(Config{NodeID: 0, Dir: dir, Bootstrap: []byte("boot"), StateMachine: sm,
		SnapshotEvery: snapEvery, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := n.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	return n
}

func proposeN(t *testing.T, n *Node, from, to int) {
	t.Helper()
	ctx := context.Background()
	var prev uint64
	for i := from; i < to; i++ {
		idx, err := n.Propose(ctx, fmt.Appendf(nil, "e%d", i))
		if err != nil {
			t.Fatal(err)
		}
		if idx <= prev {
			t.Fatalf("index %d after %d", idx, prev)
		}
		prev = idx
	}
}

func want(from, to int) []string {
	s := []string{"boot"}
	for i := from; i < to; i++ {
		s = append(s, fmt.Sprintf("e%d", i))
	}
	return s
}

func TestProposeRestartSnapshot(t *testing.T) {
	for _, snapEvery := range []uint64{1, 7, 10_000} {
		t.Run(fmt.Sprint("snapEvery=", snapEvery), func(t *testing.T) {
			dir := t.TempDir()
			sm := &listSM{}
			n := startNode(t, dir, sm, snapEvery)
			if n.Leader() != 0 {
				t.Fatalf("leader %d, want 0", n.Leader())
			}
			proposeN(t, n, 0, 50)
			if err := n.Stop(); err != nil {
				t.Fatal(err)
			}
			sm2 := &listSM{}
			n2 := startNode(t, dir, sm2, snapEvery)
			if got, w := sm2.list(), want(0, 50); !slices_equal(got, w) {
				t.Fatalf("after restart got %v, want %v", got, w)
			}
			proposeN(t, n2, 50, 60)
			if _, err := n2.Propose(context.Background(), []byte("bad")); err == nil || !strings.Contains(err.Error(), "rejected") {
				t.Fatalf("apply error not returned: %v", err)
			}
			n2.Stop()
			sm3 := &listSM{}
			n3 := startNode(t, dir, sm3, snapEvery)
			defer n3.Stop()
			if got, w := sm3.list(), want(0, 60); !slices_equal(got, w) {
				t.Fatalf("after second restart got %v, want %v", got, w)
			}
			if snapEvery == 1 {
				st, _ := os.Stat(filepath.Join(dir, walName))
				if st.Size() > 200 {
					t.Fatalf("wal not compacted: %d bytes", st.Size())
				}
			}
		})
	}
}

func TestTornTail(t *testing.T) {
	for _, cut := range []int64{1, 5, 13, 40} {
		t.Run(fmt.Sprint("cut=", cut), func(t *testing.T) {
			dir := t.TempDir()
			n := startNode(t, dir, &listSM{}, 10_000)
			proposeN(t, n, 0, 20)
			n.Stop()
			path := filepath.Join(dir, walName)
			st, _ := os.Stat(path)
			if err := os.Truncate(path, st.Size()-cut); err != nil {
				t.Fatal(err)
			}
			sm := &listSM{}
			n2 := startNode(t, dir, sm, 10_000)
			got := sm.list()
			// The torn write may take the last entry or only a HardState.
			if len(got) < 20 || !slices_equal(got, want(0, len(got)-1)) {
				t.Fatalf("got %v", got)
			}
			proposeN(t, n2, 100, 101)
			n2.Stop()
			sm3 := &listSM{}
			n3 := startNode(t, dir, sm3, 10_000)
			n3.Stop()
			if w := append(got, "e100"); !slices_equal(sm3.list(), w) {
				t.Fatalf("after repair and restart got %v, want %v", sm3.list(), w)
			}
		})
	}
}

func TestProposeAfterStop(t *testing.T) {
	n := startNode(t, t.TempDir(), &listSM{}, 0)
	n.Stop()
	if _, err := n.Propose(context.Background(), []byte("x")); err == nil {
		t.Fatal("propose after stop succeeded")
	}
	if err := n.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}

func slices_equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
