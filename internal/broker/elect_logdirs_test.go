package broker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/strom-project/strom/internal/testutil"
)

// TestDescribeLogDirsTwoDirs runs one broker with two log.dirs: the
// partitions of a topic are spread over both, and DescribeLogDirs reports
// each partition under the dir that holds its files, with its size.
func TestDescribeLogDirsTwoDirs(t *testing.T) {
	root := t.TempDir()
	dirA, dirB := filepath.Join(root, "a"), filepath.Join(root, "b")
	b, addr := startBroker(t, dirA, "log.dirs="+dirA+","+dirB)
	t.Cleanup(func() { b.Close() })
	const topic, partitions = "two-dirs", 4
	createTopic(t, addr, topic, partitions)
	cl := newClient(t, addr)
	produceN(t, cl, topic, 400)
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()

	testutil.WaitFor(t, 10*time.Second, func() error {
		all, err := adm.DescribeAllLogDirs(ctx, nil)
		if err != nil {
			return err
		}
		if len(all) != 1 {
			return fmt.Errorf("log dirs of %d brokers, want 1", len(all))
		}
		for _, dirs := range all {
			if len(dirs) != 2 {
				return fmt.Errorf("dirs %v, want %s and %s", dirs, dirA, dirB)
			}
			seen := map[int32]string{}
			for _, dir := range []string{dirA, dirB} {
				d, ok := dirs[dir]
				if !ok || d.Err != nil || d.TotalBytes <= 0 {
					return fmt.Errorf("dir %s: %+v", dir, d)
				}
				if len(d.Topics[topic]) == 0 {
					return fmt.Errorf("dir %s holds no partition of %s: %v", dir, topic, d.Topics)
				}
				for p, dp := range d.Topics[topic] {
					if _, err := os.Stat(filepath.Join(dir, fmt.Sprintf("%s-%d", topic, p))); err != nil {
						return fmt.Errorf("%s-%d reported in %s: %v", topic, p, dir, err)
					}
					if dp.Size <= 0 || dp.OffsetLag != 0 || dp.IsFuture {
						return fmt.Errorf("%s-%d in %s: %+v", topic, p, dir, dp)
					}
					seen[p] = dir
				}
			}
			if len(seen) != partitions {
				return fmt.Errorf("partitions found %v, want %d", seen, partitions)
			}
		}
		return nil
	})
}

// TestElectLeadersSingleNode: on one node every partition already has its
// preferred (only) leader and there is nothing to elect.
func TestElectLeadersSingleNode(t *testing.T) {
	b, addr := startBroker(t, t.TempDir())
	t.Cleanup(func() { b.Close() })
	const topic = "elect-one"
	createTopic(t, addr, topic, 2)
	adm := kadm.NewClient(newClient(t, addr))
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()

	for _, tc := range []struct {
		name string
		how  kadm.ElectLeadersHow
		s    kadm.TopicsSet
		want map[int32]error
	}{
		{"preferred", kadm.ElectPreferredReplica, kadm.TopicsSet{topic: {0: {}, 1: {}, 5: {}}},
			map[int32]error{0: kerr.ElectionNotNeeded, 1: kerr.ElectionNotNeeded, 5: kerr.UnknownTopicOrPartition}},
		{"unclean", kadm.ElectLiveReplica, kadm.TopicsSet{topic: {0: {}}}, map[int32]error{0: kerr.ElectionNotNeeded}},
		{"all", kadm.ElectPreferredReplica, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := adm.ElectLeaders(ctx, tc.how, tc.s)
			if err != nil {
				t.Fatal(err)
			}
			if len(res[topic]) != len(tc.want) || len(res) > 1 {
				t.Fatalf("results %v, want %v for %s", res, tc.want, topic)
			}
			for p, want := range tc.want {
				if r := res[topic][p]; !errors.Is(r.Err, want) {
					t.Errorf("%s-%d: %v (%s), want %v", topic, p, r.Err, r.ErrMessage, want)
				}
			}
		})
	}
}
