package api

// DescribeLogDirs (key 35), v1–4 (KIP-113, KIP-827): this broker's log.dirs
// and the partitions each holds. Every broker answers for itself; clients
// ask each one (kadm.DescribeAllLogDirs).
//
//   - Null topics means every hosted partition; otherwise only the named
//     partitions hosted here (unknown ones are left out, as in Kafka).
//   - Size is the bytes of the partition's segments. Offset lag is Kafka's
//     max(high watermark − log end offset, 0) — 0 unless a follower's log
//     is behind the high watermark it was told. Nothing is a future
//     replica (no AlterReplicaLogDirs).
//   - v2: flexible; v3: top-level error code; v4: total and usable bytes of
//     the filesystem holding the dir. A dir that cannot be examined answers
//     KAFKA_STORAGE_ERROR with -1 bytes.

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	"golang.org/x/sys/unix"

	"github.com/strom-project/strom/internal/controller"
	"github.com/strom-project/strom/internal/replica"
	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) describeLogDirsAPI() wire.API {
	return wire.API{Key: 35, Min: 1, Max: 4, Handle: typed(h.describeLogDirs)}
}

func (h *Handlers) describeLogDirs(_ context.Context, c *wire.Conn, req *kmsg.DescribeLogDirsRequest) (kmsg.Response, error) {
	if !h.allowedCluster(c, opDescribe) {
		resp := req.ResponseKind().(*kmsg.DescribeLogDirsResponse)
		resp.ErrorCode = errClusterAuthz // v3+; older versions get no dirs
		return resp, nil
	}
	resp := req.ResponseKind().(*kmsg.DescribeLogDirsResponse)
	var wanted map[controller.TopicPartition]bool // nil: all
	if req.Topics != nil {
		wanted = map[controller.TopicPartition]bool{}
		for _, t := range req.Topics {
			for _, p := range t.Partitions {
				wanted[controller.TopicPartition{Topic: t.Topic, Partition: p}] = true
			}
		}
	}
	byDir := map[string][]*replica.Partition{}
	for _, p := range h.Replicas.Partitions() {
		if wanted != nil && !wanted[controller.TopicPartition{Topic: p.Topic, Partition: p.Index}] {
			continue
		}
		dir := absDir(filepath.Dir(p.Log.Dir()))
		byDir[dir] = append(byDir[dir], p)
	}
	for _, d := range h.Config.LogDirs {
		rd := kmsg.NewDescribeLogDirsResponseDir()
		rd.Dir = absDir(d)
		total, usable, err := fsBytes(rd.Dir)
		if err != nil {
			h.Logger.Warn("DescribeLogDirs: cannot examine log dir", "dir", rd.Dir, "err", err)
			rd.ErrorCode = kerr.KafkaStorageError.Code
			resp.Dirs = append(resp.Dirs, rd)
			continue
		}
		rd.TotalBytes, rd.UsableBytes = total, usable
		rd.Topics = logDirTopics(byDir[rd.Dir])
		resp.Dirs = append(resp.Dirs, rd)
	}
	return resp, nil
}

// logDirTopics describes ps, which are sorted by topic and index.
func logDirTopics(ps []*replica.Partition) []kmsg.DescribeLogDirsResponseDirTopic {
	var out []kmsg.DescribeLogDirsResponseDirTopic
	for _, p := range ps {
		if len(out) == 0 || out[len(out)-1].Topic != p.Topic {
			rt := kmsg.NewDescribeLogDirsResponseDirTopic()
			rt.Topic = p.Topic
			out = append(out, rt)
		}
		rp := kmsg.NewDescribeLogDirsResponseDirTopicPartition()
		rp.Partition, rp.Size = p.Index, p.Log.Size()
		rp.OffsetLag = max(p.Log.HighWatermark()-p.Log.LogEndOffset(), 0)
		rt := &out[len(out)-1]
		rt.Partitions = append(rt.Partitions, rp)
	}
	return out
}

// absDir is dir as Kafka reports it: absolute and clean.
func absDir(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return filepath.Clean(dir)
}

// fsBytes returns the size of the filesystem holding dir and the bytes an
// unprivileged writer may still use (Java's FileStore total and usable
// space, which Kafka reports).
func fsBytes(dir string) (total, usable int64, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return -1, -1, fmt.Errorf("statfs %s: %w", dir, err)
	}
	bs := uint64(st.Frsize)
	return clampInt64(st.Blocks * bs), clampInt64(st.Bavail * bs), nil
}

// clampInt64 is Kafka's adjustForLargeFileSystems: sizes beyond int64 are
// reported as the largest int64.
func clampInt64(n uint64) int64 {
	if n > 1<<63-1 {
		return 1<<63 - 1
	}
	return int64(n)
}
