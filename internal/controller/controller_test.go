package controller

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/strom-project/strom/internal/metadata"
)

// testOptions is the one Options struct tests start from.
func testOptions(dir string) Options {
	return Options{
		NodeID: 1, MetadataDir: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		NumPartitions: 1, DefaultReplicationFactor: 1,
		Endpoints: []metadata.Endpoint{{Listener: "PLAINTEXT", SecurityProtocol: "PLAINTEXT", Host: "localhost", Port: 9092}},
		ValidateTopicConfig: func(name, value string) error {
			if name == "bogus" {
				return errors.New("unknown config")
			}
			return nil
		},
	}
}

func start(t testing.TB, opts Options) *Controller {
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
	// Registering on start bumps this node's epoch.
	w.Brokers, g.Brokers = nil, nil
	if d := cmp.Diff(&w, &g, imageOpts); d != "" {
		t.Fatalf("image differs (-want +got):\n%s", d)
	}
}

func TestStartRegistersBroker(t *testing.T) {
	dir := t.TempDir()
	c := start(t, testOptions(dir))
	im := c.Image()
	if len(im.ClusterID) != 22 {
		t.Fatalf("cluster id %q", im.ClusterID)
	}
	b := im.Brokers[1]
	if b == nil || b.Epoch != 1 || b.Fenced || len(b.Endpoints) != 1 {
		t.Fatalf("broker 1: %+v", b)
	}
	c2 := restart(t, c)
	if got := c2.Image().Brokers[1].Epoch; got != 2 {
		t.Fatalf("epoch after restart %d, want 2", got)
	}
	if c2.Image().ClusterID != im.ClusterID {
		t.Fatal("cluster id changed across restart")
	}
}

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
