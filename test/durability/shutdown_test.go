package durability

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// cleanShutdownMarker is Kafka's file in each log dir saying the last stop
// was clean, so recovery can trust the files without scanning them.
const cleanShutdownMarker = ".kafka_cleanshutdown"

// TestCleanShutdown stops the broker with SIGTERM, once idle after a flushed
// session and once while a producer streams to it. The stop must exit 0 and
// leave the clean-shutdown marker; the restart must take the clean path
// (nothing truncated), remove the marker so that a later crash is detected,
// and serve every acknowledged record.
func TestCleanShutdown(t *testing.T) {
	var tb table
	defer tb.log(t)
	for _, tc := range []struct {
		name      string
		underLoad bool
	}{
		{"idle", false},
		{"under-load", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := startBroker(t)
			topic := createTopic(t, b)
			led := &ledger{}
			sp := session{topic: topic, partitions: partitions, acks: killAcks}
			if tc.underLoad {
				sp.interrupt = b.Stop
			}
			sp.produce(t, b, led)
			if !tc.underLoad {
				if err := b.Stop(); err != nil {
					t.Fatalf("stop: %v", err)
				}
			}
			marker := filepath.Join(b.DataDir(), cleanShutdownMarker)
			if _, err := os.Stat(marker); err != nil {
				t.Errorf("after SIGTERM: %v", err)
			}
			took := restart(t, b)
			if _, err := os.Stat(marker); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s still there after the restart: a crash now would pass for a clean shutdown (stat: %v)", marker, err)
			}
			if !slices.ContainsFunc(logSinceStart(b), func(l string) bool { return strings.Contains(l, "clean_shutdown=true") }) {
				t.Errorf("the restarted broker did not log clean_shutdown=true for its log dir")
			}
			r, _ := verify(t, b, led, topic, nil, tc.name, took)
			tb.add(r)
			if r.truncated != 0 {
				t.Errorf("recovery truncated %d bytes after a clean shutdown", r.truncated)
			}
			if err := b.Stop(); err != nil {
				t.Errorf("second stop: %v", err)
			}
		})
	}
}
