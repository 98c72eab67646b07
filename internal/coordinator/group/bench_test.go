package group

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/strom-project/strom/internal/storage"
)

// BenchmarkCommitToLog measures one OffsetCommit of one partition through
// the core into a real log (page cache, no fsync), as a shard serves it.
func BenchmarkCommitToLog(b *testing.B) {
	l, err := storage.Open(storage.Options{Dir: filepath.Join(b.TempDir(), OffsetsTopic+"-0"), Config: storage.DefaultLogConfig()})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	c := newCore(testConfig(), logJournal{storageLog{l}}, randomMemberID, slog.New(slog.NewTextHandler(io.Discard, nil)))
	now := time.Now()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if errs := c.commit(now, commitReq("bench-group", "", -1, co("topic", int32(i%64), int64(i)))); errs[0] != nil {
			b.Fatal(errs[0])
		}
	}
}

// BenchmarkLoad measures replaying a partition of 100k offset commits
// (1,000 groups × 100 partitions) from a real log.
func BenchmarkLoad(b *testing.B) {
	l, err := storage.Open(storage.Options{Dir: filepath.Join(b.TempDir(), OffsetsTopic+"-0"), Config: storage.DefaultLogConfig()})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	j := logJournal{storageLog{l}}
	now := time.Now()
	const groups, parts = 1000, 100
	for g := 0; g < groups; g++ {
		var recs []kv
		for p := 0; p < parts; p++ {
			recs = append(recs, offsetRecord(fmt.Sprint("group-", g), TopicPartition{"topic", int32(p)},
				&offset{offset: int64(p), leaderEpoch: 1, commitTime: now.UnixMilli(), expireTime: -1}))
		}
		if err := j.write(now, recs); err != nil {
			b.Fatal(err)
		}
	}
	cfg := testConfig()
	b.ReportAllocs()
	for b.Loop() {
		s := newShard(0, storageLog{l}, cfg, time.Now, randomMemberID, slog.New(slog.NewTextHandler(io.Discard, nil)))
		ld, err := s.load()
		if err != nil || ld.records != groups*parts {
			b.Fatalf("loaded %d records: %v", ld.records, err)
		}
	}
	b.ReportMetric(float64(groups*parts)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
