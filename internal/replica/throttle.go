package replica

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/metadata"
)

// Replication throttling (KIP-73). Two quotas per broker, each with its
// own rate: the leader quota bounds what this broker serves as leader to
// followers that are not in the ISR, the follower quota what it fetches as
// a follower that is not in sync. Only the replicas a topic lists count,
// in leader.replication.throttled.replicas and
// follower.replication.throttled.replicas as partition:broker pairs (or
// *); a broker picks the pairs naming itself. Throttling never slows the
// ISR: an in-sync follower is always served and always fetches, so
// acks=all produce does not wait on a reassignment's copy.

const (
	leaderThrottledRate       = "leader.replication.throttled.rate"
	followerThrottledRate     = "follower.replication.throttled.rate"
	leaderThrottledReplicas   = "leader.replication.throttled.replicas"
	followerThrottledReplicas = "follower.replication.throttled.replicas"
)

// throttle holds the broker's two replication quotas and, per topic, the
// partitions each applies to on this broker. The lists are replaced as a
// whole on every metadata image, so readers need no lock.
type throttle struct {
	leader, follower *Quota
	lists            atomic.Pointer[throttledLists]
}

// throttledLists are the throttled partitions of this broker by topic:
// for the leader quota and for the follower quota.
type throttledLists struct {
	leader, follower map[string]throttledPartitions
}

// throttledPartitions is one topic's list for this broker: every
// partition (the wildcard) or a set.
type throttledPartitions struct {
	all   bool
	parts []int32
}

func (tp throttledPartitions) has(partition int32) bool {
	return tp.all || slices.Contains(tp.parts, partition)
}

// init makes unthrottled quotas with the sample windows of the static
// configuration (replication.quota.window.*, read-only in Kafka).
func (t *throttle) init(cfg *config.Broker, now func() time.Time) {
	samples, windowSec := int64(11), int64(1)
	if cfg != nil {
		samples, windowSec = cfg.Int("replication.quota.window.num"), cfg.Int("replication.quota.window.size.seconds")
	}
	window := time.Duration(windowSec) * time.Second
	t.leader = NewQuota(math.MaxInt64, int(samples), window, now)
	t.follower = NewQuota(math.MaxInt64, int(samples), window, now)
	t.lists.Store(&throttledLists{})
}

// applyThrottles brings the quotas' bounds and the throttled lists in line
// with an image: dyn is this broker's dynamic configuration as of it.
func (m *Manager) applyThrottles(im *metadata.Image, dyn *config.Dynamic) {
	m.throttle.leader.SetBound(rateOf(dyn, leaderThrottledRate))
	m.throttle.follower.SetBound(rateOf(dyn, followerThrottledRate))
	lists := &throttledLists{leader: map[string]throttledPartitions{}, follower: map[string]throttledPartitions{}}
	for r, cfgs := range im.Configs {
		if r.Type != metadata.TopicResource {
			continue
		}
		if tp, ok := parseThrottledReplicas(cfgs[leaderThrottledReplicas], m.nodeID); ok {
			lists.leader[r.Name] = tp
		}
		if tp, ok := parseThrottledReplicas(cfgs[followerThrottledReplicas], m.nodeID); ok {
			lists.follower[r.Name] = tp
		}
	}
	m.throttle.lists.Store(lists)
}

func rateOf(dyn *config.Dynamic, name string) int64 {
	v, err := strconv.ParseInt(strings.TrimSpace(dyn.Get(name)), 10, 64)
	if err != nil || v < 0 {
		return math.MaxInt64 // not set (or unregistered): unthrottled
	}
	return v
}

// parseThrottledReplicas picks the partitions a throttled replica list
// names for broker id (Kafka's parseThrottledPartitions); ok is false
// when it names none. Values were validated when set; malformed entries
// are skipped.
func parseThrottledReplicas(v string, id int32) (throttledPartitions, bool) {
	v = strings.TrimSpace(v)
	if v == "*" {
		return throttledPartitions{all: true}, true
	}
	var tp throttledPartitions
	for _, e := range strings.Split(v, ",") {
		ps, bs, ok := strings.Cut(strings.TrimSpace(e), ":")
		if !ok {
			continue
		}
		p, perr := strconv.ParseInt(ps, 10, 32)
		b, berr := strconv.ParseInt(bs, 10, 32)
		if perr == nil && berr == nil && int32(b) == id {
			tp.parts = append(tp.parts, int32(p))
		}
	}
	return tp, len(tp.parts) > 0
}

func (t *throttle) leaderListed(topic string, partition int32) bool {
	tp, ok := t.lists.Load().leader[topic]
	return ok && tp.has(partition)
}

func (t *throttle) followerListed(topic string, partition int32) bool {
	tp, ok := t.lists.Load().follower[topic]
	return ok && tp.has(partition)
}

// ThrottleFollowerFetch is Kafka's shouldLeaderThrottle for a fetch from
// follower replicaID: the partition's replica here is listed in
// leader.replication.throttled.replicas, the follower is not in the
// committed ISR, and the leader quota is exceeded. The fetch then gets
// the partition with no records and no error, and the follower retries.
func (p *Partition) ThrottleFollowerFetch(replicaID int32) bool {
	t := &p.m.throttle
	if !t.leaderListed(p.Topic, p.Index) || slices.Contains(p.state.Load().ISR, replicaID) {
		return false
	}
	return t.leader.Exceeded()
}

// RecordLeaderReplication counts bytes this leader sent to a follower for
// a partition listed in leader.replication.throttled.replicas against the
// leader quota, to whichever follower, in sync or not (Kafka counts every
// throttled partition of a follower fetch response).
func (m *Manager) RecordLeaderReplication(topic string, partition int32, bytes int) {
	if bytes > 0 && m.throttle.leaderListed(topic, partition) {
		m.throttle.leader.Record(int64(bytes))
	}
}

// ReplicationQuotas returns this broker's leader and follower replication
// quotas, for metrics and tests.
func (m *Manager) ReplicationQuotas() (leader, follower *Quota) {
	return m.throttle.leader, m.throttle.follower
}

// throttleFetch is Kafka's shouldFollowerThrottle for one partition of
// the fetcher: this broker's replica is listed in
// follower.replication.throttled.replicas, it is not in sync, and the
// follower quota is exceeded (exceeded is evaluated once per request).
// Not in sync means out of the committed ISR and behind the leader's
// high watermark at the last fetch (Kafka looks at the lag alone; the ISR
// check keeps an in-sync replica that fell behind from ever being held).
func (f *fetcher) throttleFetch(p *Partition, fs *fetchState, exceeded func() bool) bool {
	t := &f.m.throttle
	if fs.caughtUp || !t.followerListed(p.Topic, p.Index) || slices.Contains(p.state.Load().ISR, f.m.nodeID) {
		return false
	}
	return exceeded()
}

// fetched notes what a fetch brought for a partition: whether the
// follower is now level with the leader's high watermark, and the bytes
// of a throttled partition against the follower quota (recorded whether
// or not the quota is exceeded, as Kafka does).
func (f *fetcher) fetched(it *fetchItem, highWatermark int64, bytes int) {
	p := it.p
	caughtUp := p.Log.LogEndOffset() >= highWatermark
	f.mu.Lock()
	if fs := f.parts[p]; fs != nil && fs.leaderEpoch == it.leaderEpoch {
		fs.caughtUp = caughtUp
	}
	f.mu.Unlock()
	if bytes > 0 && f.m.throttle.followerListed(p.Topic, p.Index) {
		f.m.throttle.follower.Record(int64(bytes))
	}
}

// minThrottleWait bounds how often a fetcher with only throttled
// partitions looks again when replica.fetch.backoff.ms is 0.
const minThrottleWait = 10 * time.Millisecond
