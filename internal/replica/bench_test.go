package replica

import (
	"testing"
	"time"

	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/record"
	"github.com/strom-project/strom/internal/storage"
)

// benchPartition is a single-replica partition led by this node, as on a
// single-node broker.
func benchPartition(b *testing.B) *Partition {
	dir := b.TempDir()
	cfg, err := config.Load("", []string{"log.dirs=" + dir})
	if err != nil {
		b.Fatal(err)
	}
	logs, err := storage.NewManager([]string{dir}, quiet, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	m := NewManager(Options{NodeID: 1, Config: cfg, Logs: logs, Logger: quiet})
	b.Cleanup(func() {
		m.Close()
		logs.Close()
	})
	im := metadata.NewImage()
	id := metadata.Uuid{1}
	t := &metadata.Topic{Name: "bench", ID: id, Partitions: []*metadata.Partition{{Replicas: []int32{1}, ISR: []int32{1}, Leader: 1}}}
	im.Topics["bench"], im.TopicsByID[id] = t, t
	im.Configs[metadata.ConfigResource{Type: metadata.TopicResource, Name: "bench"}] = map[string]string{
		"segment.bytes": "67108864", "retention.bytes": "268435456", "file.delete.delay.ms": "0"}
	m.Apply(nil, im)
	p, err := m.Partition("bench", 0)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// benchRecords is 16 records of 1 KiB, like storage's BenchmarkAppend.
func benchRecords(b *testing.B) []byte {
	recs := make([]record.NewRecord, 16)
	for i := range recs {
		recs[i] = record.NewRecord{TimestampDelta: int64(i), Value: make([]byte, 1024)}
	}
	out, err := record.Build(nil, record.BatchSpec{BaseTimestamp: time.Now().UnixMilli(), ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Records: recs})
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkPartitionAppend is the single-node produce path below the
// handler: Append, and for acks=all the commit check the handler makes.
func BenchmarkPartitionAppend(b *testing.B) {
	for _, acks := range []int16{1, -1} {
		b.Run(map[int16]string{1: "acks1", -1: "acksAll"}[acks], func(b *testing.B) {
			p := benchPartition(b)
			batch := benchRecords(b)
			b.SetBytes(int64(len(batch)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				res, err := p.Append(batch, acks)
				if err != nil {
					b.Fatal(err)
				}
				if acks == -1 {
					if done, err := p.Committed(res.LeaderEpoch, res.LastOffset+1); !done || err != nil {
						b.Fatal("not committed", err)
					}
				}
				if i%4096 == 4095 {
					p.Log.DeleteOldSegments()
				}
			}
		})
		b.Run(map[int16]string{1: "acks1-parallel", -1: "acksAll-parallel"}[acks], func(b *testing.B) {
			p := benchPartition(b)
			proto := benchRecords(b)
			b.SetBytes(int64(len(proto)))
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				batch := append([]byte(nil), proto...)
				for pb.Next() {
					res, err := p.Append(batch, acks)
					if err != nil {
						b.Error(err)
						return
					}
					if acks == -1 {
						if done, err := p.Committed(res.LeaderEpoch, res.LastOffset+1); !done || err != nil {
							b.Fatal("not committed", err)
						}
					}
				}
			})
		})
	}
}
