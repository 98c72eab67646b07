package controller

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/raft"
)

// testOptions is the one Options struct tests start from. Its clock is a
// fake one that only moves when a test advances it, so no broker session
// expires unless a test means it to.
func testOptions(dir string) Options {
	return Options{
		NodeID: 1, MetadataDir: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:           newFakeClock().Now,
		NumPartitions: 1, DefaultReplicationFactor: 1,
		ValidateTopicConfig: func(name, value string) error {
			if name == "bogus" {
				return errors.New("unknown config")
			}
			return nil
		},
	}
}

// start starts a controller and, like a combined-mode node, registers and
// unfences the broker with its node id (idempotent across restarts: the
// same incarnation id).
func start(t testing.TB, opts Options) *Controller {
	t.Helper()
	c := startBare(t, opts)
	joinBroker(t, c, opts.NodeID, nil)
	return c
}

// startBare starts a controller and registers nothing.
func startBare(t testing.TB, opts Options) *Controller {
	t.Helper()
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// joinBroker registers broker id (incarnation derived from the id) and
// heartbeats once, which unfences it; it returns the broker epoch.
func joinBroker(t testing.TB, c *Controller, id int32, rack *string) int64 {
	t.Helper()
	ctx := context.Background()
	epoch, err := c.RegisterBroker(ctx, BrokerRegistration{ID: id, IncarnationID: metadata.Uuid{0xb, byte(id)}, Rack: rack,
		Endpoints: []metadata.Endpoint{{Listener: "PLAINTEXT", SecurityProtocol: "PLAINTEXT", Host: "localhost", Port: 9092 + id}}})
	if err != nil {
		t.Fatalf("register broker %d: %v", id, err)
	}
	reply, err := c.BrokerHeartbeat(ctx, BrokerHeartbeat{ID: id, Epoch: epoch, MetadataOffset: c.Image().Offset})
	if err != nil || reply.IsFenced || !reply.IsCaughtUp {
		t.Fatalf("heartbeat of broker %d: %+v %v", id, reply, err)
	}
	return epoch
}

func restart(t testing.TB, c *Controller) *Controller {
	t.Helper()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	return start(t, c.opts)
}

func mustCreate(t testing.TB, c *Controller, topics ...CreateTopic) []CreateTopicResult {
	t.Helper()
	res := c.CreateTopics(context.Background(), topics, false)
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("create %s: %v", r.Name, r.Err)
		}
	}
	return res
}

// imageOpts compares images by content; the offset differs after a
// restart because becoming leader appends an entry.
var imageOpts = cmp.Options{cmp.AllowUnexported(metadata.Image{})}

func sameContent(t testing.TB, want, got *metadata.Image) {
	t.Helper()
	w, g := *want, *got
	w.Offset, g.Offset = 0, 0
	if d := cmp.Diff(&w, &g, imageOpts); d != "" {
		t.Fatalf("image differs (-want +got):\n%s", d)
	}
}

// TestStartFormatsButRegistersNothing: a new one-voter controller commits a
// random cluster id, writes meta.properties, and leaves broker
// registration to the brokers; a restart keeps the id and the brokers.
func TestStartFormatsButRegistersNothing(t *testing.T) {
	dir := t.TempDir()
	c := startBare(t, testOptions(dir))
	im := c.Image()
	if len(im.ClusterID) != 22 || c.ClusterID() != im.ClusterID {
		t.Fatalf("cluster id %q / %q", im.ClusterID, c.ClusterID())
	}
	if len(im.Brokers) != 0 {
		t.Fatalf("brokers registered on start: %v", im.Brokers)
	}
	if !c.Active() || c.ActiveControllerID() != 1 {
		t.Fatalf("active %v, active controller %d", c.Active(), c.ActiveControllerID())
	}
	epoch := joinBroker(t, c, 1, nil)
	if b := c.Image().Brokers[1]; b.Epoch != epoch || b.Fenced || len(b.Endpoints) != 1 {
		t.Fatalf("broker 1: %+v", b)
	}
	c2 := restart(t, c)
	if got := c2.Image().Brokers[1]; got.Epoch != epoch || got.Fenced {
		t.Fatalf("broker after restart %+v, want epoch %d unfenced", got, epoch)
	}
	if c2.Image().ClusterID != im.ClusterID {
		t.Fatal("cluster id changed across restart")
	}
}

// TestLegacyBootstrapClusterID: a metadata log whose bootstrap snapshot
// carries the cluster id (written before multi-voter quorums) still starts,
// and its id must match meta.properties.
func TestLegacyBootstrapClusterID(t *testing.T) {
	dir := t.TempDir()
	const id = "MkU3OEVBNTcwNTJENDM2Qk"
	boot := metadata.EncodeBatch([]metadata.Record{&metadata.ClusterIDRecord{ClusterID: id}})
	n, err := raft.Start(raft.Config{NodeID: 1, Dir: filepath.Join(dir, metadataLogDir), Bootstrap: boot,
		StateMachine: nopSM{}, Logger: testOptions(dir).Logger})
	if err != nil {
		t.Fatal(err)
	}
	n.Stop()
	if err := writeMetaProperties(filepath.Join(dir, metaPropertiesName), metaProperties{ClusterID: id, NodeID: 1}, time.Now()); err != nil {
		t.Fatal(err)
	}
	c := start(t, testOptions(dir))
	if c.ClusterID() != id || c.Image().ClusterID != id {
		t.Fatalf("cluster id %q", c.Image().ClusterID)
	}
	c.Close()
	// The same log with another cluster's meta.properties is refused.
	if err := writeMetaProperties(filepath.Join(dir, metaPropertiesName), metaProperties{ClusterID: NewClusterID(), NodeID: 1}, time.Now()); err != nil {
		t.Fatal(err)
	}
	c2, _ := New(testOptions(dir))
	if err := c2.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "belongs to cluster") {
		t.Fatalf("mismatched cluster id: %v", err)
	}
	c2.Close()
}

type nopSM struct{}

func (nopSM) Restore(uint64, []byte) error { return nil }
func (nopSM) Apply(uint64, []byte) error   { return nil }
func (nopSM) Flush() error                 { return nil }
func (nopSM) Snapshot() ([]byte, error)    { return nil, nil }

func TestErrorMessage(t *testing.T) {
	c := start(t, testOptions(t.TempDir()))
	mustCreate(t, c, CreateTopic{Name: "a", NumPartitions: 1, ReplicationFactor: 1})
	res := c.CreateTopics(context.Background(), []CreateTopic{{Name: "a", NumPartitions: 1, ReplicationFactor: 1}}, false)
	if got := ErrorMessage(res[0].Err); got != "Topic 'a' already exists." {
		t.Fatalf("message %q", got)
	}
	if !strings.HasPrefix(res[0].Err.Error(), ErrTopicExists.Error()) {
		t.Fatalf("error %q", res[0].Err)
	}
}
