package layout

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strom-project/strom/internal/config"
)

func TestPropertiesGolden(t *testing.T) {
	c, err := Sequential("/srv/strom-dev", 3, 9092, 19093)
	if err != nil {
		t.Fatal(err)
	}
	got := string(Format(c.Properties(1, map[string]string{"min.insync.replicas": "2", "log.segment.bytes": "8388608"}), "node 2"))
	want := `# node 2
node.id=2
process.roles=broker,controller
controller.quorum.voters=1@127.0.0.1:19093,2@127.0.0.1:19094,3@127.0.0.1:19095
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:9093,CONTROLLER://127.0.0.1:19094
inter.broker.listener.name=PLAINTEXT
log.dirs=/srv/strom-dev/node-2/data
default.replication.factor=3
offsets.topic.replication.factor=3
admin.listener=127.0.0.1:0
log.segment.bytes=8388608
min.insync.replicas=2
`
	if got != want {
		t.Errorf("node 2 properties:\n%s\nwant:\n%s", got, want)
	}
	if b := strings.Join(c.Bootstrap(), ","); b != "127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094" {
		t.Errorf("bootstrap %s", b)
	}
}

func TestReplicationFactorFollowsNodes(t *testing.T) {
	for n, want := range map[int]string{1: "1", 2: "2", 3: "3", 5: "3"} {
		c, err := Sequential(t.TempDir(), n, 30000, 31000)
		if err != nil {
			t.Fatal(err)
		}
		p := c.Properties(n-1, nil)
		if p["default.replication.factor"] != want || p["offsets.topic.replication.factor"] != want {
			t.Errorf("%d nodes: replication factors %s/%s, want %s", n, p["default.replication.factor"], p["offsets.topic.replication.factor"], want)
		}
	}
}

// TestWriteReadsBack writes a cluster's files and loads every node's
// configuration the way `strom serve --config` does: the contract must be
// valid for config.Load, and awkward values must survive the round trip.
func TestWriteReadsBack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "with space")
	c, err := OnFreePorts(dir, 3)
	if err != nil {
		t.Fatal(err)
	}
	extra := map[string]string{"broker.rack": ` rack\1:a=b`}
	if err := c.Write(extra); err != nil {
		t.Fatal(err)
	}
	for i, n := range c.Nodes {
		f, err := os.ReadFile(n.ConfigPath())
		if err != nil {
			t.Fatal(err)
		}
		props, err := config.ParseProperties(bytes.NewReader(f))
		if err != nil {
			t.Fatal(err)
		}
		if want := c.Properties(i, extra); !maps.Equal(props, want) {
			t.Errorf("node %d read back %v, want %v", n.ID, props, want)
		}
		cfg, err := config.Load(n.ConfigPath(), nil)
		if err != nil {
			t.Fatalf("node %d: %v", n.ID, err)
		}
		if cfg.NodeID != n.ID || len(cfg.Listeners) != 2 || cfg.LogDirs[0] != n.DataDir() {
			t.Errorf("node %d loaded as id %d, listeners %v, log.dirs %v", n.ID, cfg.NodeID, cfg.Listeners, cfg.LogDirs)
		}
		if len(cfg.AdvertisedListeners) != 1 || cfg.AdvertisedListeners[0].Name != ClientListener {
			t.Errorf("node %d advertises %v, want the client listener only", n.ID, cfg.AdvertisedListeners)
		}
	}
}

func TestInvalidLayouts(t *testing.T) {
	for _, tc := range []struct {
		name             string
		ports, ctrlPorts []int
		want             string
	}{
		{"no nodes", nil, nil, "at least one node"},
		{"uneven", []int{1, 2}, []int{3}, "2 client ports but 1 controller ports"},
		{"out of range", []int{65536}, []int{3}, "node 1 client port 65536 is not in 1..65535"},
		{"shared", []int{9092, 9093}, []int{9093, 9094}, "node 2 client port 9093 is also node 1 controller port 9093"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New("d", tc.ports, tc.ctrlPorts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
