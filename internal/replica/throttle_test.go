package replica

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/metadata"
)

// publishThrottle applies an image with partition 0 of the test topic in
// state st, brokers 1..5, the topic's configs and the cluster-default and
// per-broker (for this harness's node) dynamic configs.
func (h *harness) publishThrottle(st metadata.Partition, topic, clusterDefault, own map[string]string) *Partition {
	h.t.Helper()
	im := metadata.NewImage()
	for id := int32(1); id <= 5; id++ {
		im.Brokers[id] = &metadata.Broker{ID: id, Epoch: 100 + int64(id)}
	}
	tp := &metadata.Topic{Name: testTopic, ID: testTopicID, Partitions: []*metadata.Partition{&st}}
	im.Topics[testTopic], im.TopicsByID[testTopicID] = tp, tp
	for r, m := range map[metadata.ConfigResource]map[string]string{
		{Type: metadata.TopicResource, Name: testTopic}:                              topic,
		{Type: metadata.BrokerResource}:                                              clusterDefault,
		{Type: metadata.BrokerResource, Name: metadata.BrokerConfigName(h.m.nodeID)}: own,
	} {
		if m != nil {
			im.Configs[r] = m
		}
	}
	prev := h.im
	h.im = im
	h.m.Apply(prev, im)
	p, err := h.m.Partition(testTopic, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

// TestThrottleRatesFollowDynamicConfig: the quotas' bounds are the
// dynamic broker configs, this broker's own value before the cluster
// default, and unthrottled when neither is set.
func TestThrottleRatesFollowDynamicConfig(t *testing.T) {
	h := newHarness(t, 1)
	st := metadata.Partition{Replicas: []int32{1, 2}, ISR: []int32{1, 2}, Leader: 1}
	leader, follower := h.m.ReplicationQuotas()
	for _, step := range []struct {
		name                   string
		clusterDefault, own    map[string]string
		wantLeader, wantFollow int64
	}{
		{"unset", nil, nil, math.MaxInt64, math.MaxInt64},
		{"cluster default", map[string]string{leaderThrottledRate: "1000", followerThrottledRate: "2000"}, nil, 1000, 2000},
		{"this broker first", map[string]string{leaderThrottledRate: "1000", followerThrottledRate: "2000"},
			map[string]string{leaderThrottledRate: "3000"}, 3000, 2000},
		{"removed", nil, nil, math.MaxInt64, math.MaxInt64},
	} {
		h.publishThrottle(st, nil, step.clusterDefault, step.own)
		if got := leader.Bound(); got != step.wantLeader {
			t.Errorf("%s: leader bound %d, want %d", step.name, got, step.wantLeader)
		}
		if got := follower.Bound(); got != step.wantFollow {
			t.Errorf("%s: follower bound %d, want %d", step.name, got, step.wantFollow)
		}
	}
}

// TestThrottleFollowerFetch is Kafka's shouldLeaderThrottle on leader 1
// of partition 0 with followers 2 (in the ISR) and 3 (not): only a listed
// replica, an out-of-sync follower and an exceeded quota together
// throttle; bytes count against the quota only for listed partitions.
func TestThrottleFollowerFetch(t *testing.T) {
	st := metadata.Partition{Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2}, Leader: 1, LeaderEpoch: 1}
	rate := map[string]string{leaderThrottledRate: "1000"}
	tests := []struct {
		name     string
		list     string // leader.replication.throttled.replicas
		listed   bool   // names partition 0 on broker 1
		follower int32
		exceeded bool
		want     bool
	}{
		{"listed, out of sync, exceeded", "0:1", true, 3, true, true},
		{"listed among others", "1:1, 0:2,0:1", true, 3, true, true},
		{"wildcard", "*", true, 3, true, true},
		{"in sync never", "0:1", true, 2, true, false},
		{"wildcard, in sync never", "*", true, 2, true, false},
		{"under the quota", "0:1", true, 3, false, false},
		{"another broker's replica", "0:2,0:3", false, 3, true, false},
		{"another partition", "1:1", false, 3, true, false},
		{"not set", "", false, 3, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, 1)
			var topic map[string]string
			if tc.list != "" {
				topic = map[string]string{leaderThrottledReplicas: tc.list}
			}
			p := h.publishThrottle(st, topic, rate, nil)
			leader, _ := h.m.ReplicationQuotas()
			h.m.RecordLeaderReplication(testTopic, 0, 600)
			if want := map[bool]float64{true: 600, false: 0}[tc.listed]; leader.Rate() != want {
				t.Fatalf("recorded rate %.0f, want %.0f", leader.Rate(), want)
			}
			if tc.exceeded {
				leader.Record(5000)
			}
			if got := p.ThrottleFollowerFetch(tc.follower); got != tc.want {
				t.Fatalf("ThrottleFollowerFetch(%d) = %v, want %v", tc.follower, got, tc.want)
			}
		})
	}
}

// TestFollowerThrottle is Kafka's shouldFollowerThrottle on broker 3
// following leader 1: a listed, out-of-sync replica is left out of the
// fetch while the follower quota is exceeded, and the fetcher waits the
// fetch backoff before it looks again.
func TestFollowerThrottle(t *testing.T) {
	tests := []struct {
		name     string
		list     string // follower.replication.throttled.replicas
		isr      []int32
		caughtUp bool
		exceeded bool
		want     bool
	}{
		{"listed, out of sync, exceeded", "0:3", []int32{1, 2}, false, true, true},
		{"wildcard", "*", []int32{1, 2}, false, true, true},
		{"in the ISR never", "*", []int32{1, 2, 3}, false, true, false},
		{"level with the leader's HW never", "0:3", []int32{1, 2}, true, true, false},
		{"under the quota", "0:3", []int32{1, 2}, false, false, false},
		{"another broker's replica", "0:2", []int32{1, 2}, false, true, false},
		{"not set", "", []int32{1, 2}, false, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, 3, "replica.fetch.backoff.ms=700")
			var topic map[string]string
			if tc.list != "" {
				topic = map[string]string{followerThrottledReplicas: tc.list}
			}
			st := metadata.Partition{Replicas: []int32{1, 2, 3}, ISR: tc.isr, Leader: 1, LeaderEpoch: 1}
			p := h.publishThrottle(st, topic, map[string]string{followerThrottledRate: "1000"}, nil)
			_, quota := h.m.ReplicationQuotas()
			if tc.exceeded {
				quota.Record(5000)
			}
			// The leader has no endpoint in the image, so no fetcher runs:
			// drive one by hand.
			f := &fetcher{m: h.m, parts: map[*Partition]*fetchState{p: {leaderEpoch: 1, caughtUp: tc.caughtUp}}}
			req, items, wait := f.buildRequest()
			if got := req == nil; got != tc.want {
				t.Fatalf("left out of the fetch: %v, want %v (items %v)", got, tc.want, items)
			}
			if tc.want && wait != 700*time.Millisecond {
				t.Fatalf("wait %v, want the fetch backoff", wait)
			}
		})
	}
}

// TestFollowerRecordsThrottledBytes: bytes fetched for a listed partition
// count against the follower quota, others do not; the fetch also
// notes whether the replica is level with the leader's high watermark.
func TestFollowerRecordsThrottledBytes(t *testing.T) {
	h := newHarness(t, 3)
	st := metadata.Partition{Replicas: []int32{1, 3}, ISR: []int32{1}, Leader: 1, LeaderEpoch: 1}
	p := h.publishThrottle(st, map[string]string{followerThrottledReplicas: "0:3"}, nil, nil)
	_, quota := h.m.ReplicationQuotas()
	fs := &fetchState{leaderEpoch: 1}
	f := &fetcher{m: h.m, parts: map[*Partition]*fetchState{p: fs}}
	it := &fetchItem{p: p, leaderEpoch: 1}
	f.fetched(it, 10, 700)
	if got := quota.Rate(); got != 700 {
		t.Fatalf("follower quota rate %.0f, want 700", got)
	}
	if fs.caughtUp {
		t.Fatal("caught up with LEO 0 and the leader's HW at 10")
	}
	f.fetched(it, 0, 0)
	if !fs.caughtUp {
		t.Fatal("not caught up at the leader's HW")
	}
	p = h.publishThrottle(st, map[string]string{followerThrottledReplicas: "0:1"}, nil, nil)
	f.fetched(&fetchItem{p: p, leaderEpoch: 1}, 0, 500)
	if got := quota.Rate(); got != 700 {
		t.Fatalf("follower quota rate %.0f after an unlisted fetch, want 700", got)
	}
}

// TestThrottledReplicasValidation: the topic configs take Kafka's forms,
// and each broker picks the partitions listed for it.
func TestThrottledReplicasValidation(t *testing.T) {
	tests := []struct {
		value string
		valid bool
		for2  []int32 // partitions listed for broker 2
		all   bool
	}{
		{"", true, nil, false},
		{"*", true, nil, true},
		{" * ", true, nil, true},
		{"0:1,0:2", true, []int32{0}, false},
		{"0:2, 1:2 ,2:3", true, []int32{0, 1}, false},
		{"0:1,,1:2", true, []int32{1}, false}, // Kafka's validator accepts an empty entry
		{"*,0:1", false, nil, false},
		{"0:x", false, nil, false},
		{"0", false, nil, false},
		{"-1:2", false, nil, false},
		{"0:1:2", false, nil, false},
	}
	for _, tc := range tests {
		for _, name := range []string{leaderThrottledReplicas, followerThrottledReplicas} {
			if err := config.ValidateTopicConfig(name, tc.value); (err == nil) != tc.valid {
				t.Errorf("%s=%q: %v, want valid %v", name, tc.value, err, tc.valid)
			}
		}
		if !tc.valid {
			continue
		}
		tp, ok := parseThrottledReplicas(tc.value, 2)
		if tp.all != tc.all || !slices.Equal(tp.parts, tc.for2) || ok != (tc.all || len(tc.for2) > 0) {
			t.Errorf("%q for broker 2: %+v %v, want all %v parts %v", tc.value, tp, ok, tc.all, tc.for2)
		}
	}
}

// FuzzParseThrottledReplicas: any value parses without panicking, and a
// valid one lists only partitions its entries name for the broker.
func FuzzParseThrottledReplicas(f *testing.F) {
	for _, s := range []string{"", "*", "0:1,1:2", " 3:2 ,", "0:99999999999", ":", "1:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		tp, ok := parseThrottledReplicas(v, 2)
		if ok != (tp.all || len(tp.parts) > 0) {
			t.Fatalf("%q: ok %v with %+v", v, ok, tp)
		}
		if config.ValidateTopicConfig(leaderThrottledReplicas, v) == nil && !tp.all {
			for _, p := range tp.parts {
				if p < 0 {
					t.Fatalf("%q: negative partition %d", v, p)
				}
			}
		}
	})
}
