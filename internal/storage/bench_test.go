package storage

import (
	"math/rand"
	"testing"
	"time"
)

// benchBatch is 16 records of 1 KiB (~16.5 KiB), uncompressed: the shape of
// a default-configured client batch.
func benchBatch(b *testing.B) []byte {
	return mkBatch(b, batchOpt{n: 16, size: 1024, ts: time.Now().UnixMilli()})
}

func benchLog(b *testing.B, cfg LogConfig) *Log {
	l, err := Open(Options{Dir: b.TempDir() + "/bench-0", Config: cfg, Logger: quietLogger})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	return l
}

// BenchmarkAppend: one producer. Retention keeps the disk footprint bounded.
func BenchmarkAppend(b *testing.B) {
	for _, tc := range []struct {
		name string
		cfg  LogConfig
	}{
		{"pagecache", LogConfig{SegmentBytes: 64 << 20, RetentionBytes: 256 << 20, FileDeleteDelayMs: -1}},
		{"pagecache-prealloc", LogConfig{SegmentBytes: 64 << 20, RetentionBytes: 256 << 20, FileDeleteDelayMs: -1, Preallocate: true}},
		{"flush1", LogConfig{SegmentBytes: 64 << 20, RetentionBytes: 256 << 20, FileDeleteDelayMs: -1, FlushMessages: 1}},
		{"flush1-prealloc", LogConfig{SegmentBytes: 64 << 20, RetentionBytes: 256 << 20, FileDeleteDelayMs: -1, FlushMessages: 1, Preallocate: true}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			l := benchLog(b, tc.cfg)
			batch := benchBatch(b)
			b.SetBytes(int64(len(batch)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := l.Append(batch, AppendOptions{RequiredAcks: -1}); err != nil {
					b.Fatal(err)
				}
				if i%4096 == 4095 {
					l.SetHighWatermark(l.LogEndOffset())
					l.DeleteOldSegments()
				}
			}
			b.ReportMetric(float64(b.N*16)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkAppendParallel: concurrent producers on one partition with
// flush.messages=1 — the group-commit case.
func BenchmarkAppendParallel(b *testing.B) {
	for _, tc := range []struct {
		name string
		cfg  LogConfig
	}{
		{"pagecache", LogConfig{SegmentBytes: 64 << 20, RetentionBytes: 256 << 20, FileDeleteDelayMs: -1}},
		{"flush1", LogConfig{SegmentBytes: 64 << 20, RetentionBytes: 256 << 20, FileDeleteDelayMs: -1, FlushMessages: 1, Preallocate: true}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			l := benchLog(b, tc.cfg)
			proto := benchBatch(b)
			b.SetBytes(int64(len(proto)))
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				batch := append([]byte(nil), proto...)
				for pb.Next() {
					if _, err := l.Append(batch, AppendOptions{RequiredAcks: -1}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N*16)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkRead: random fetches of up to 1 MiB from a 128 MiB log (page
// cache), with a fresh buffer per read (Read) and a reused one (ReadInto).
func BenchmarkRead(b *testing.B) {
	l := benchLog(b, LogConfig{SegmentBytes: 64 << 20})
	batch := benchBatch(b)
	for l.Size() < 128<<20 {
		if _, err := l.Append(batch, AppendOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	leo := l.LogEndOffset()
	l.SetHighWatermark(leo)
	for _, pooled := range []bool{false, true} {
		name := "alloc"
		if pooled {
			name = "pooled"
		}
		b.Run(name, func(b *testing.B) {
			rng := rand.New(rand.NewSource(1))
			var bytes int64
			var buf []byte
			if pooled {
				buf = make([]byte, 1<<20)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				res, err := l.ReadInto(buf, rng.Int63n(leo), 1<<20, true, leo)
				if err != nil {
					b.Fatal(err)
				}
				bytes += int64(len(res.Records))
			}
			b.ReportMetric(float64(bytes)/b.Elapsed().Seconds()/1e6, "MB/s")
			b.ReportMetric(float64(bytes)/float64(len(batch))*16/b.Elapsed().Seconds(), "records/s")
		})
	}
}
