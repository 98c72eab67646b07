package testcluster

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/testutil"
	"github.com/strom-project/strom/internal/wire"
)

// TestElectLeaders takes leadership away from a partition's preferred
// replica (a clean stop moves it; auto rebalance is off so nothing moves it
// back), restarts that node and, once it is in sync again, moves leadership
// back with a preferred ElectLeaders through kadm. It checks each
// per-partition outcome Kafka defines on the way, and the forwarding of v0
// and v1 requests sent to a node that is not the active controller.
func TestElectLeaders(t *testing.T) {
	c := Start(t, Options{Nodes: 3, Overrides: map[string]string{"auto.leader.rebalance.enable": "false"}})
	const topic, solo = "elect", "elect-solo"
	createTopic(t, c, topic, 3, 3)
	createTopic(t, c, solo, 3, 1)
	adm := kadm.NewClient(client(t, c))
	ctx, cancel := context.WithTimeout(t.Context(), 2*opTimeout)
	defer cancel()

	const part = 0
	pref := partitionDetail(ctx, t, adm, topic, part).Replicas[0]
	var soloPart int32 = -1 // the RF=1 partition on the preferred node
	for _, p := range describeTopic(ctx, t, adm, solo).Partitions {
		if p.Replicas[0] == pref {
			soloPart = p.Partition
		}
	}
	if soloPart < 0 {
		t.Fatalf("no partition of %s on node %d", solo, pref)
	}

	c.Stop(int(pref) - 1)
	waitPartition(t, adm, topic, part, func(p kadm.PartitionDetail) bool {
		return p.Leader != pref && p.Leader >= 0 && !slices.Contains(p.ISR, pref)
	})
	checkElect(ctx, t, adm, kadm.ElectPreferredReplica, kadm.TopicsSet{topic: {part: {}}}, kerr.PreferredLeaderNotAvailable)
	checkElect(ctx, t, adm, kadm.ElectLiveReplica, kadm.TopicsSet{topic: {part: {}}}, kerr.ElectionNotNeeded)
	checkElect(ctx, t, adm, kadm.ElectLiveReplica, kadm.TopicsSet{solo: {soloPart: {}}}, kerr.EligibleLeadersNotAvailable)
	checkElect(ctx, t, adm, kadm.ElectPreferredReplica, kadm.TopicsSet{topic: {99: {}}}, kerr.UnknownTopicOrPartition)
	checkElect(ctx, t, adm, kadm.ElectPreferredReplica, kadm.TopicsSet{"no-such-topic": {0: {}}}, kerr.UnknownTopicOrPartition)

	c.Restart(int(pref) - 1)
	waitPartition(t, adm, topic, part, func(p kadm.PartitionDetail) bool { return slices.Contains(p.ISR, pref) })
	if l := partitionDetail(ctx, t, adm, topic, part).Leader; l == pref {
		t.Fatalf("node %d leads %s-%d again without an election (auto.leader.rebalance.enable=false)", pref, topic, part)
	}
	checkElect(ctx, t, adm, kadm.ElectPreferredReplica, kadm.TopicsSet{topic: {part: {}}}, nil)
	waitPartition(t, adm, topic, part, func(p kadm.PartitionDetail) bool { return p.Leader == pref })
	checkElect(ctx, t, adm, kadm.ElectPreferredReplica, kadm.TopicsSet{topic: {part: {}}}, kerr.ElectionNotNeeded)

	// Every partition (null topics): those still away from their preferred
	// replica move back; those that need nothing are left out.
	testutil.WaitFor(t, opTimeout, func() error {
		res, err := adm.ElectLeaders(ctx, kadm.ElectPreferredReplica, nil)
		if err != nil {
			return err
		}
		for _, ps := range res {
			for _, r := range ps {
				if r.Err != nil {
					return fmt.Errorf("electing %s-%d: %v (%s)", r.Topic, r.Partition, r.Err, r.ErrMessage)
				}
			}
		}
		return nil
	})
	for _, name := range []string{topic, solo} {
		for _, p := range describeTopic(ctx, t, adm, name).Partitions {
			waitPartition(t, adm, name, p.Partition, func(p kadm.PartitionDetail) bool { return p.Leader == p.Replicas[0] })
		}
	}
	res, err := adm.ElectLeaders(ctx, kadm.ElectPreferredReplica, nil)
	if err != nil || len(res) != 0 {
		t.Fatalf("electing every partition when all have their preferred leader: %v, %v; want no results", res, err)
	}

	t.Run("forwarded", func(t *testing.T) { checkElectForwarded(ctx, t, c, adm, topic) })
}

// checkElectForwarded sends ElectLeaders v0 and v1 to a node that is not
// the active controller, with wire's client (kadm goes to the controller).
func checkElectForwarded(ctx context.Context, t *testing.T, c *Cluster, adm *kadm.Client, topic string) {
	// Asked of a broker, not kadm's cached metadata: the controller may
	// have moved since the client first looked.
	mc := wire.NewClient(c.Bootstrap()[0], "elect-test")
	mreq := kmsg.NewPtrMetadataRequest()
	mreq.SetVersion(12)
	mresp, err := mc.Do(ctx, mreq)
	mc.Close()
	if err != nil {
		t.Fatal(err)
	}
	other := mresp.(*kmsg.MetadataResponse).ControllerID%3 + 1
	cl := wire.NewClient(c.Bootstrap()[other-1], "elect-test")
	defer cl.Close()
	for _, tc := range []struct {
		name     string
		version  int16
		typ      int8
		topLevel int16 // v1+
		want     int16
	}{
		{"v0 preferred", 0, 0, 0, kerr.ElectionNotNeeded.Code},
		{"v1 unclean", 1, 1, 0, kerr.ElectionNotNeeded.Code},
		{"v1 unknown type", 1, 7, kerr.InvalidRequest.Code, kerr.InvalidRequest.Code},
		{"v2 unknown type", 2, -1, kerr.InvalidRequest.Code, kerr.InvalidRequest.Code},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := kmsg.NewPtrElectLeadersRequest()
			req.SetVersion(tc.version)
			req.ElectionType = tc.typ
			rt := kmsg.NewElectLeadersRequestTopic()
			rt.Topic, rt.Partitions = topic, []int32{0, 1}
			req.Topics = append(req.Topics, rt)
			kr, err := cl.Do(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			resp := kr.(*kmsg.ElectLeadersResponse)
			if resp.Version != tc.version || resp.ErrorCode != tc.topLevel {
				t.Fatalf("response v%d with top-level code %d, want v%d with %d", resp.Version, resp.ErrorCode, tc.version, tc.topLevel)
			}
			if len(resp.Topics) != 1 || resp.Topics[0].Topic != topic || len(resp.Topics[0].Partitions) != 2 {
				t.Fatalf("results %+v, want %s-0 and %s-1", resp.Topics, topic, topic)
			}
			for _, p := range resp.Topics[0].Partitions {
				if p.ErrorCode != tc.want {
					t.Errorf("%s-%d: %v, want %v", topic, p.Partition, kerr.ErrorForCode(p.ErrorCode), kerr.ErrorForCode(tc.want))
				}
			}
		})
	}
}

// checkElect runs one election and requires want (nil: success) for every
// partition of s, and no other results.
func checkElect(ctx context.Context, t *testing.T, adm *kadm.Client, how kadm.ElectLeadersHow, s kadm.TopicsSet, want error) {
	t.Helper()
	res, err := adm.ElectLeaders(ctx, how, s)
	if err != nil {
		t.Fatalf("ElectLeaders(%v, %v): %v", how, s, err)
	}
	n := 0
	for topic, ps := range s {
		for p := range ps {
			r, ok := res[topic][p]
			if !ok {
				t.Fatalf("ElectLeaders(%v, %v): no result for %s-%d in %v", how, s, topic, p, res)
			}
			if !errors.Is(r.Err, want) || (want == nil) != (r.Err == nil) {
				t.Fatalf("ElectLeaders(%v) %s-%d: %v (%s), want %v", how, topic, p, r.Err, r.ErrMessage, want)
			}
			n++
		}
	}
	if countResults(res) != n {
		t.Fatalf("ElectLeaders(%v, %v): results %v beyond the request", how, s, res)
	}
}

func countResults(res kadm.ElectLeadersResults) int {
	n := 0
	for _, ps := range res {
		n += len(ps)
	}
	return n
}

func describeTopic(ctx context.Context, t *testing.T, adm *kadm.Client, topic string) kadm.TopicDetail {
	t.Helper()
	md, err := adm.Metadata(ctx, topic)
	if err == nil {
		err = md.Topics[topic].Err
	}
	if err != nil {
		t.Fatalf("metadata of %s: %v", topic, err)
	}
	return md.Topics[topic]
}

func partitionDetail(ctx context.Context, t *testing.T, adm *kadm.Client, topic string, part int32) kadm.PartitionDetail {
	t.Helper()
	p, ok := describeTopic(ctx, t, adm, topic).Partitions[part]
	if !ok {
		t.Fatalf("metadata has no %s-%d", topic, part)
	}
	return p
}

// waitPartition waits until the metadata of topic-part satisfies cond.
func waitPartition(t *testing.T, adm *kadm.Client, topic string, part int32, cond func(kadm.PartitionDetail) bool) {
	t.Helper()
	var last kadm.PartitionDetail
	testutil.WaitFor(t, opTimeout, func() error {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		md, err := adm.Metadata(ctx, topic)
		if err != nil {
			return err
		}
		if last = md.Topics[topic].Partitions[part]; !cond(last) {
			return fmt.Errorf("%s-%d: leader %d, replicas %v, ISR %v", topic, part, last.Leader, last.Replicas, last.ISR)
		}
		return nil
	})
}

// TestDescribeLogDirs asks every node for its log dirs (kadm
// DescribeAllLogDirs): each lists its one log.dirs entry with the
// filesystem's sizes and every replica of an RF=3 topic, whose sizes grow
// as records are produced; a request naming one partition gets only that.
func TestDescribeLogDirs(t *testing.T) {
	c := Start(t, Options{Nodes: 3})
	const topic = "logdirs"
	createTopic(t, c, topic, 3, 3)
	adm := kadm.NewClient(client(t, c))
	ctx, cancel := context.WithTimeout(t.Context(), opTimeout)
	defer cancel()

	empty := describeLogDirs(ctx, t, c, adm, topic, func(p kadm.DescribedLogDirPartition) error { return nil })
	produce(t, c, topic, 0, 600)
	describeLogDirs(ctx, t, c, adm, topic, func(p kadm.DescribedLogDirPartition) error {
		if before := empty[p.Broker][p.Partition]; p.Size <= before {
			return fmt.Errorf("node %d: %s-%d is %d bytes after producing, %d before", p.Broker, p.Topic, p.Partition, p.Size, before)
		}
		if p.OffsetLag != 0 {
			return fmt.Errorf("node %d: %s-%d has offset lag %d", p.Broker, p.Topic, p.Partition, p.OffsetLag)
		}
		return nil
	})

	t.Run("one partition", func(t *testing.T) {
		dirs, err := adm.DescribeBrokerLogDirs(ctx, 2, kadm.TopicsSet{topic: {1: {}}, "no-such-topic": {0: {}}})
		if err != nil {
			t.Fatal(err)
		}
		d, ok := dirs[absLogDir(c, 1)]
		if len(dirs) != 1 || !ok || d.Err != nil {
			t.Fatalf("node 2 dirs %v, want one: %s", dirs, absLogDir(c, 1))
		}
		if len(d.Topics) != 1 || len(d.Topics[topic]) != 1 || d.Topics[topic][1].Size <= 0 {
			t.Fatalf("node 2 reports %v, want only %s-1", d.Topics, topic)
		}
	})
	t.Run("versions", func(t *testing.T) {
		cl := wire.NewClient(c.Bootstrap()[0], "logdirs-test")
		defer cl.Close()
		for v := int16(1); v <= 4; v++ {
			req := kmsg.NewPtrDescribeLogDirsRequest()
			req.SetVersion(v)
			kr, err := cl.Do(ctx, req)
			if err != nil {
				t.Fatalf("v%d: %v", v, err)
			}
			resp := kr.(*kmsg.DescribeLogDirsResponse)
			if len(resp.Dirs) != 1 || resp.Dirs[0].Dir != absLogDir(c, 0) || len(resp.Dirs[0].Topics) != 1 {
				t.Fatalf("v%d: %+v", v, resp.Dirs)
			}
			if total := resp.Dirs[0].TotalBytes; (v >= 4) != (total > 0) {
				t.Errorf("v%d: total bytes %d", v, total)
			}
		}
	})
}

// describeLogDirs requires, within opTimeout, that every node report its
// one log dir holding all three partitions of topic and nothing else, each
// satisfying check. It returns the sizes by node and partition.
func describeLogDirs(ctx context.Context, t *testing.T, c *Cluster, adm *kadm.Client, topic string,
	check func(kadm.DescribedLogDirPartition) error) map[int32]map[int32]int64 {
	t.Helper()
	sizes := map[int32]map[int32]int64{}
	testutil.WaitFor(t, opTimeout, func() error {
		all, err := adm.DescribeAllLogDirs(ctx, nil)
		if err != nil {
			return err
		}
		if len(all) != len(c.nodes) {
			return fmt.Errorf("log dirs of nodes %v, want %d nodes", slices.Sorted(maps.Keys(all)), len(c.nodes))
		}
		for id, dirs := range all {
			want := absLogDir(c, int(id)-1)
			d, ok := dirs[want]
			if len(dirs) != 1 || !ok {
				return fmt.Errorf("node %d: dirs %v, want %s", id, dirs, want)
			}
			if d.Err != nil || d.TotalBytes <= 0 || d.UsableBytes < 0 || d.UsableBytes > d.TotalBytes {
				return fmt.Errorf("node %d %s: err %v, total %d, usable %d bytes", id, want, d.Err, d.TotalBytes, d.UsableBytes)
			}
			if len(d.Topics) != 1 || len(d.Topics[topic]) != 3 {
				return fmt.Errorf("node %d %s holds %v, want the 3 partitions of %s", id, want, d.Topics, topic)
			}
			sizes[id] = map[int32]int64{}
			for _, p := range d.Topics[topic] {
				if err := check(p); err != nil {
					return err
				}
				sizes[id][p.Partition] = p.Size
			}
		}
		return nil
	})
	return sizes
}

// absLogDir is node i's log dir as DescribeLogDirs reports it.
func absLogDir(c *Cluster, i int) string {
	d, err := filepath.Abs(c.nodes[i].cfg.LogDirs[0])
	if err != nil {
		panic(err)
	}
	return d
}
