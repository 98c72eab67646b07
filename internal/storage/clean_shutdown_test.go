package storage

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCleanShutdownEpoch: a clean Close writes Kafka's marker with the
// broker epoch, the next start reads it back, a start after a crash (no
// marker) or with log dirs that disagree reads -1.
func TestCleanShutdownEpoch(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir()}
	open := func() *Manager {
		t.Helper()
		m, err := NewManagerWithOptions(dirs, ManagerOptions{Logger: quietLogger})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := open()
	if got := m.PreviousBrokerEpoch(); got != -1 {
		t.Fatalf("first start: previous epoch %d, want -1", got)
	}
	m.SetBrokerEpoch(42)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dirs[0], cleanShutdownFile))
	if err != nil || string(b) != `{"version":0,"brokerEpoch":42}` {
		t.Fatalf("marker %q, %v", b, err)
	}
	m = open()
	if got := m.PreviousBrokerEpoch(); got != 42 {
		t.Fatalf("after a clean shutdown: previous epoch %d, want 42", got)
	}
	// Crash: no Close, so no marker (the start removed them).
	m = open()
	if got := m.PreviousBrokerEpoch(); got != -1 {
		t.Fatalf("after a crash: previous epoch %d, want -1", got)
	}
	m.SetBrokerEpoch(7)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dirs[1], cleanShutdownFile), encodeCleanShutdown(8), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := open().PreviousBrokerEpoch(); got != -1 {
		t.Fatalf("log dirs disagree: previous epoch %d, want -1", got)
	}
}

func TestParseCleanShutdown(t *testing.T) {
	for in, want := range map[string]int64{
		`{"version":0,"brokerEpoch":42}`:  42,
		`{"brokerEpoch":42,"version":0}`:  42,
		``:                                -1, // an older Strom's empty marker
		`{"version":1,"brokerEpoch":42}`:  -1,
		`{"version":0}`:                   -1,
		`{"version":0,"brokerEpoch":-5}`:  -1,
		`{"version":0,"brokerEpoch":4.5}`: -1,
		`[]`:                              -1,
	} {
		if got := parseCleanShutdown([]byte(in)); got != want {
			t.Errorf("parse %q = %d, want %d", in, got, want)
		}
	}
}

// FuzzParseCleanShutdown: any content parses without panicking, to -1 or
// to an epoch that encodes back to a marker naming the same epoch.
func FuzzParseCleanShutdown(f *testing.F) {
	f.Add([]byte(`{"version":0,"brokerEpoch":42}`))
	f.Add([]byte(``))
	f.Add([]byte(`{"version":0,"brokerEpoch":9223372036854775807}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got := parseCleanShutdown(b)
		if got < -1 {
			t.Fatalf("epoch %d", got)
		}
		if got >= 0 && parseCleanShutdown(encodeCleanShutdown(got)) != got {
			t.Fatalf("epoch %d does not round-trip", got)
		}
	})
}
