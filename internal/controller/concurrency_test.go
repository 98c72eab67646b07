package controller

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/strom-project/strom/internal/metadata"
)

// TestConcurrentOperations: many goroutines create, grow and delete topics
// and allocate producer ids at once; every topic is created exactly once,
// producer id blocks never overlap, and the subscriber sees every topic.
func TestConcurrentOperations(t *testing.T) {
	c := start(t, testOptions(t.TempDir()))
	var mu sync.Mutex
	seenTopics := map[string]bool{}
	c.Subscribe(func(prev, next *metadata.Image) {
		mu.Lock()
		defer mu.Unlock()
		for name := range next.Topics {
			seenTopics[name] = true
		}
	})
	ctx := context.Background()
	const workers, perWorker = 8, 10
	var wg sync.WaitGroup
	blocks := make(chan int64, workers*perWorker)
	created := make(chan string, workers*perWorker*2)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				// Every worker races for the same shared names too.
				for _, name := range []string{fmt.Sprintf("w%d-%d", w, i), fmt.Sprintf("shared-%d", i)} {
					r := c.CreateTopics(ctx, []CreateTopic{{Name: name, NumPartitions: 2, ReplicationFactor: -1}}, false)
					if r[0].Err == nil {
						created <- name
					}
				}
				c.CreatePartitions(ctx, []CreatePartitions{{Topic: fmt.Sprintf("w%d-%d", w, i), Count: 3}}, false)
				first, _, err := c.AllocateProducerIDs(ctx, 1)
				if err != nil {
					t.Error(err)
					return
				}
				blocks <- first
				_ = c.Image().Topics // readers never block
			}
		})
	}
	wg.Wait()
	close(blocks)
	close(created)
	names := map[string]int{}
	for n := range created {
		names[n]++
	}
	for n, k := range names {
		if k != 1 {
			t.Fatalf("topic %s created %d times", n, k)
		}
	}
	if want := workers*perWorker + perWorker; len(names) != want {
		t.Fatalf("%d topics created, want %d", len(names), want)
	}
	seen := map[int64]bool{}
	for b := range blocks {
		if seen[b] {
			t.Fatalf("producer id block %d handed out twice", b)
		}
		seen[b] = true
	}
	im := c.Image()
	mu.Lock()
	defer mu.Unlock()
	for n := range names {
		if !seenTopics[n] || im.Topics[n] == nil {
			t.Fatalf("topic %s missing from subscriber or image", n)
		}
	}
	if p := len(im.Topics["w0-0"].Partitions); p != 3 {
		t.Fatalf("w0-0 has %d partitions", p)
	}
}

// TestCancelledContext: a request whose context is already done does nothing.
func TestCancelledContext(t *testing.T) {
	c := start(t, testOptions(t.TempDir()))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := c.CreateTopics(ctx, []CreateTopic{{Name: "x", NumPartitions: 1, ReplicationFactor: 1}}, false)
	if r[0].Err == nil {
		t.Fatal("cancelled create succeeded")
	}
	if c.Image().Topics["x"] != nil {
		t.Fatal("cancelled create created the topic")
	}
}
