package controller

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/strom-project/strom/internal/metadata"
)

// churn creates, grows and deletes topics and allocates producer ids.
func churn(t testing.TB, c *Controller, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		mustCreate(t, c, CreateTopic{Name: fmt.Sprintf("t%d", i), NumPartitions: 2, ReplicationFactor: -1,
			Configs: map[string]string{"retention.ms": fmt.Sprint(i)}})
		if i%3 == 0 {
			if r := c.CreatePartitions(ctx, []CreatePartitions{{Topic: fmt.Sprintf("t%d", i), Count: 4}}, false); r[0].Err != nil {
				t.Fatal(r[0].Err)
			}
		}
		if i%4 == 1 {
			if r := c.DeleteTopics(ctx, []DeleteTopic{{Name: fmt.Sprintf("t%d", i)}}); r[0].Err != nil {
				t.Fatal(r[0].Err)
			}
		}
		if i%5 == 0 {
			if _, _, err := c.AllocateProducerIDs(ctx, 1); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestRestartReplaysIdenticalImage(t *testing.T) {
	for _, snapEvery := range []uint64{0, 1, 7} {
		t.Run(fmt.Sprint("snapshotEvery=", snapEvery), func(t *testing.T) {
			opts := testOptions(t.TempDir())
			opts.SnapshotEvery = snapEvery
			c := start(t, opts)
			churn(t, c, 40)
			before := c.Image()
			c2 := restart(t, c)
			sameContent(t, before, c2.Image())
			churn2 := c2.CreateTopics(context.Background(), []CreateTopic{{Name: "after", NumPartitions: 1, ReplicationFactor: 1}}, false)
			if churn2[0].Err != nil {
				t.Fatal(churn2[0].Err)
			}
			before = c2.Image()
			c3 := restart(t, c2)
			sameContent(t, before, c3.Image())
			if snapEvery == 1 {
				wal, err := os.Stat(filepath.Join(opts.MetadataDir, metadataLogDir, "wal"))
				if err != nil || wal.Size() > 1024 {
					t.Fatalf("wal not compacted: %v %v", wal.Size(), err)
				}
			}
		})
	}
}

func TestProducerIDsNeverReused(t *testing.T) {
	c := start(t, testOptions(t.TempDir()))
	seen := map[int64]bool{}
	alloc := func(c *Controller) {
		for range 3 {
			first, count, err := c.AllocateProducerIDs(context.Background(), 1)
			if err != nil {
				t.Fatal(err)
			}
			if count != ProducerIDBlockSize || seen[first] {
				t.Fatalf("block %d+%d reused or wrong size", first, count)
			}
			seen[first] = true
		}
	}
	alloc(c)
	c = restart(t, c)
	alloc(c)
	if _, _, err := c.AllocateProducerIDs(context.Background(), 42); err == nil {
		t.Fatal("allocated for an unregistered broker")
	}
	if len(seen) != 6 || !seen[0] || !seen[5000] {
		t.Fatalf("blocks %v", seen)
	}
}

func TestTornWALTail(t *testing.T) {
	opts := testOptions(t.TempDir())
	c := start(t, opts)
	churn(t, c, 10)
	before := c.Image()
	mustCreate(t, c, CreateTopic{Name: "last", NumPartitions: 1, ReplicationFactor: 1})
	c.Close()
	wal := filepath.Join(opts.MetadataDir, metadataLogDir, "wal")
	st, err := os.Stat(wal)
	if err != nil {
		t.Fatal(err)
	}
	// Cut into the last entry: "last" may be lost, nothing before it.
	if err := os.Truncate(wal, st.Size()-3); err != nil {
		t.Fatal(err)
	}
	c2 := start(t, opts)
	got := c2.Image()
	delete(got.Topics, "last") // may or may not survive, depending on the cut
	for _, name := range before.SortedTopicNames() {
		if got.Topics[name] == nil {
			t.Fatalf("topic %s lost", name)
		}
	}
	mustCreate(t, c2, CreateTopic{Name: "after-repair", NumPartitions: 1, ReplicationFactor: 1})
}

func TestSubscribeSeesReplayInOrder(t *testing.T) {
	opts := testOptions(t.TempDir())
	c := start(t, opts)
	churn(t, c, 5)
	want := c.Image()
	c.Close()

	c2, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var offsets []uint64
	var last *metadata.Image
	c2.Subscribe(func(prev, next *metadata.Image) {
		mu.Lock()
		defer mu.Unlock()
		if last != nil && prev != last {
			t.Errorf("prev is not the previous next")
		}
		offsets = append(offsets, next.Offset)
		last = next
	})
	if err := c2.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	mu.Lock()
	defer mu.Unlock()
	for i := 1; i < len(offsets); i++ {
		if offsets[i] <= offsets[i-1] {
			t.Fatalf("offsets out of order: %v", offsets)
		}
	}
	sameContent(t, want, last)
	if last != c2.Image() {
		t.Fatal("last published image is not Image()")
	}
}

func TestMetaProperties(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions(dir)
	opts.ClusterID = "MkU3OEVBNTcwNTJENDM2Qk"
	c := start(t, opts)
	if c.Image().ClusterID != opts.ClusterID || c.ClusterID() != opts.ClusterID {
		t.Fatalf("cluster id %q", c.Image().ClusterID)
	}
	c.Close()
	data, _ := os.ReadFile(filepath.Join(dir, "meta.properties"))
	mp, err := parseMetaProperties(data)
	if err != nil || mp.NodeID != 1 || mp.ClusterID != opts.ClusterID {
		t.Fatalf("%+v %v\n%s", mp, err, data)
	}
	for _, tc := range []struct {
		name string
		mod  func(*Options)
	}{
		{"other node id", func(o *Options) { o.NodeID = 2 }},
		{"other cluster id", func(o *Options) { o.ClusterID = NewClusterID() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := opts
			tc.mod(&o)
			c, err := New(o)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Start(context.Background()); err == nil {
				c.Close()
				t.Fatal("started with mismatched meta.properties")
			}
			c.Close()
		})
	}
}

func TestOperationsBeforeStartAndAfterClose(t *testing.T) {
	c, err := New(testOptions(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if r := c.CreateTopics(ctx, []CreateTopic{{Name: "x", NumPartitions: 1, ReplicationFactor: 1}}, false); r[0].Err == nil {
		t.Fatal("create before start succeeded")
	}
	if c.Image() == nil {
		t.Fatal("nil image before start")
	}
	c = start(t, testOptions(t.TempDir()))
	c.Close()
	if r := c.CreateTopics(ctx, []CreateTopic{{Name: "x", NumPartitions: 1, ReplicationFactor: 1}}, false); r[0].Err == nil {
		t.Fatal("create after close succeeded")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}
