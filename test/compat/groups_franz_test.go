package compat

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// member is one franz-go group member polling in its own goroutine. Its
// fields are guarded by mu; the callbacks and the poller write them.
type member struct {
	cl   *kgo.Client
	done chan struct{}
	stop func() // stops polling and closes the client; idempotent

	mu       sync.Mutex
	assigned map[int32]bool
	lost     int      // OnPartitionsRevoked/Lost calls that took partitions away
	records  []string // "partition/offset value", in poll order
	mark     int      // read and readSplit look at records[mark:]
	errs     []error
}

// startMember joins group on topic with short group timers and polls until
// stopped; t's cleanup stops it.
func startMember(t *testing.T, group, topic string, opts ...kgo.Opt) *member {
	t.Helper()
	m := &member{assigned: map[int32]bool{}, done: make(chan struct{})}
	take := func(_ context.Context, _ *kgo.Client, ps map[string][]int32) {
		m.mu.Lock()
		defer m.mu.Unlock()
		if len(ps[topic]) > 0 {
			m.lost++
		}
		for _, p := range ps[topic] {
			delete(m.assigned, p)
		}
	}
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(brokerAddr), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(250 * time.Millisecond),
		kgo.SessionTimeout(10 * time.Second), kgo.RebalanceTimeout(10 * time.Second),
		kgo.HeartbeatInterval(300 * time.Millisecond),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, ps map[string][]int32) {
			m.mu.Lock()
			defer m.mu.Unlock()
			for _, p := range ps[topic] {
				m.assigned[p] = true
			}
		}),
		kgo.OnPartitionsRevoked(take), kgo.OnPartitionsLost(take),
	}, opts...)...)
	if err != nil {
		t.Fatalf("kgo.NewClient(ConsumerGroup %s): %v", group, err)
	}
	m.cl = cl
	ctx, cancel := context.WithCancel(scenarioContext(t))
	go m.poll(ctx)
	m.stop = sync.OnceFunc(func() {
		cancel()
		<-m.done
		cl.Close()
	})
	t.Cleanup(m.stop)
	return m
}

func (m *member) poll(ctx context.Context) {
	defer close(m.done)
	for ctx.Err() == nil {
		fs := m.cl.PollFetches(ctx)
		m.mu.Lock()
		fs.EachError(func(topic string, p int32, err error) {
			if !errors.Is(err, context.Canceled) && !errors.Is(err, kgo.ErrClientClosed) {
				m.errs = append(m.errs, fmt.Errorf("%s/%d: %w", topic, p, err))
			}
		})
		fs.EachRecord(func(r *kgo.Record) {
			m.records = append(m.records, recordLine(r.Partition, r.Offset, string(r.Value)))
		})
		m.mu.Unlock()
	}
}

// partitions returns m's assignment, sorted.
func (m *member) partitions() []int32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(maps.Keys(m.assigned))
}

// read returns a copy of what m polled since its checkpoint, failing t on any
// poll error.
func (m *member) read(t *testing.T) []string {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.errs) > 0 {
		t.Fatalf("group member poll errors: %v", m.errs)
	}
	return slices.Clone(m.records[m.mark:])
}

// checkpoint makes read skip everything polled so far.
func (m *member) checkpoint() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mark = len(m.records)
}

// losses counts the callbacks that took partitions away from m.
func (m *member) losses() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lost
}

// waitSplit waits until ms hold disjoint assignments of equal size covering
// partitions 0..parts-1: the group is stable.
func waitSplit(t *testing.T, parts int32, ms ...*member) {
	t.Helper()
	waitFor(t, within(t, 20*time.Second), func() error {
		var all []int32
		var each [][]int32
		for _, m := range ms {
			ps := m.partitions()
			each = append(each, ps)
			all = append(all, ps...)
			if len(ps) != int(parts)/len(ms) {
				return fmt.Errorf("assignments %v, want %d partitions each", each, int(parts)/len(ms))
			}
		}
		if slices.Sort(all); !slices.Equal(all, seqPartitions(parts)) {
			return fmt.Errorf("assignments %v, want partitions 0..%d split without overlap", each, parts-1)
		}
		return nil
	})
}

func seqPartitions(n int32) []int32 {
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(i)
	}
	return out
}

// readSplit waits until ms together polled every line of want since their
// checkpoints and checks each member read exactly the lines of its own partitions.
func readSplit(t *testing.T, want map[int32][]string, ms ...*member) {
	t.Helper()
	total := 0
	for _, ls := range want {
		total += len(ls)
	}
	waitFor(t, within(t, 20*time.Second), func() error {
		n := 0
		for _, m := range ms {
			n += len(m.read(t))
		}
		if n < total {
			return fmt.Errorf("members polled %d of %d records", n, total)
		}
		return nil
	})
	for i, m := range ms {
		mine := map[int32][]string{}
		for _, p := range m.partitions() {
			mine[p] = want[p]
		}
		samePerPartition(t, fmt.Sprintf("member %d (partitions %v)", i, m.partitions()), m.read(t), mine)
	}
}

func TestFranzGoGroups(t *testing.T) {
	for _, b := range []struct {
		name     string
		balancer kgo.GroupBalancer
	}{
		{"range", kgo.RangeBalancer()},
		{"roundrobin", kgo.RoundRobinBalancer()},
		{"sticky", kgo.StickyBalancer()},
		{"cooperative-sticky", kgo.CooperativeStickyBalancer()},
	} {
		scenario(t, clientFranz, groupBalancer+b.name, func(t *testing.T) {
			needGroups(t)
			topic, group := topicName(t), groupName(t, "")
			createTopic(t, scenarioContext(t), topic, 4)
			m1 := startMember(t, group, topic, kgo.Balancers(b.balancer))
			waitSplit(t, 4, m1)
			m2 := startMember(t, group, topic, kgo.Balancers(b.balancer))
			waitSplit(t, 4, m1, m2)
			readSplit(t, produceSpread(t, topic, 4, 10, "r"), m1, m2)
		})
	}

	scenario(t, clientFranz, groupResume, func(t *testing.T) {
		needGroups(t)
		topic, group := topicName(t), groupName(t, "")
		createTopic(t, scenarioContext(t), topic, 2)
		first := produceSpread(t, topic, 2, 5, "a")
		m := startMember(t, group, topic, kgo.DisableAutoCommit())
		readSplit(t, first, m)
		if err := m.cl.CommitUncommittedOffsets(scenarioContext(t)); err != nil {
			t.Fatalf("CommitUncommittedOffsets: %v", err)
		}
		m.stop()
		requireCommitted(t, group, topic, ends(first))
		second := produceSpread(t, topic, 2, 3, "b")
		readSplit(t, second, startMember(t, group, topic))
	})

	franzStaticAndLag(t)
}
