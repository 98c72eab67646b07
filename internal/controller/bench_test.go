package controller

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkCreateTopic: one topic (1 partition) per CreateTopics call, i.e.
// one raft entry and one fsync per topic.
func BenchmarkCreateTopic(b *testing.B) {
	c := start(b, testOptions(b.TempDir()))
	b.ResetTimer()
	for i := range b.N {
		mustCreate(b, c, CreateTopic{Name: fmt.Sprintf("t%d", i), NumPartitions: 1, ReplicationFactor: 1})
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "topics/s")
}

// BenchmarkCreateTopicsBatch100: 100 topics per CreateTopics call, one
// raft entry per call.
func BenchmarkCreateTopicsBatch100(b *testing.B) {
	c := start(b, testOptions(b.TempDir()))
	b.ResetTimer()
	for i := range b.N {
		topics := make([]CreateTopic, 100)
		for j := range topics {
			topics[j] = CreateTopic{Name: fmt.Sprintf("t%d-%d", i, j), NumPartitions: 1, ReplicationFactor: 1}
		}
		mustCreate(b, c, topics...)
	}
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "topics/s")
}

// BenchmarkStartEmpty: New + Start on an empty directory (bootstrap, elect,
// commit the cluster id, write meta.properties) — PERFORMANCE.md wants
// ≤ 100 ms.
func BenchmarkStartEmpty(b *testing.B) {
	for range b.N {
		b.StopTimer()
		opts := testOptions(b.TempDir())
		b.StartTimer()
		c, err := New(opts)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		c.Close()
		b.StartTimer()
	}
}

// BenchmarkStart1000Topics: restart with 1000 topics (3 partitions each) in
// the log, with and without a snapshot covering them.
func BenchmarkStart1000Topics(b *testing.B) {
	for _, snap := range []uint64{0, 100} {
		b.Run(fmt.Sprint("snapshotEvery=", snap), func(b *testing.B) {
			opts := testOptions(b.TempDir())
			opts.SnapshotEvery = snap
			c := start(b, opts)
			for i := range 1000 {
				mustCreate(b, c, CreateTopic{Name: fmt.Sprintf("t%d", i), NumPartitions: 3, ReplicationFactor: 1})
			}
			c.Close()
			b.ResetTimer()
			for range b.N {
				c, err := New(opts)
				if err != nil {
					b.Fatal(err)
				}
				if err := c.Start(context.Background()); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if n := len(c.Image().Topics); n != 1000 {
					b.Fatalf("%d topics", n)
				}
				c.Close()
				b.StartTimer()
			}
		})
	}
}
