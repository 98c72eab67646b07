package broker

import (
	"context"
	"fmt"
	"github.com/strom-project/strom/internal/testutil"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// groupOverrides keep group tests fast: no initial rebalance delay and few
// offsets partitions (one test keeps Kafka's 50).
var groupOverrides = []string{"group.initial.rebalance.delay.ms=0", "offsets.topic.num.partitions=5"}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	testutil.WaitUntil(t, timeout, what, cond)
}

func createTopic(t *testing.T, addr, topic string, partitions int32) {
	t.Helper()
	adm := kadm.NewClient(newClient(t, addr))
	if _, err := adm.CreateTopic(context.Background(), partitions, 1, nil, topic); err != nil {
		t.Fatal(err)
	}
}

// groupMember is one consumer of a group, recording what it consumed.
type groupMember struct {
	cl   *kgo.Client
	name string
}

// memberAssignments returns, from DescribeGroups, how many partitions each
// member of a Stable group holds (nil while not Stable).
func memberAssignments(t *testing.T, adm *kadm.Client, group string) []int {
	t.Helper()
	ds, err := adm.DescribeGroups(context.Background(), group)
	if err != nil {
		return nil
	}
	d := ds[group]
	if d.Err != nil || d.State != "Stable" {
		return nil
	}
	var out []int
	for _, m := range d.Members {
		ca, ok := m.Assigned.AsConsumer()
		if !ok {
			return nil
		}
		n := 0
		for _, tp := range ca.Topics {
			n += len(tp.Partitions)
		}
		out = append(out, n)
	}
	return out
}

func TestGroupBalancersSplitPartitionsAndConsumeOnce(t *testing.T) {
	for _, bal := range []struct {
		name string
		b    func() kgo.GroupBalancer
	}{
		{"range", kgo.RangeBalancer},
		{"roundrobin", kgo.RoundRobinBalancer},
		{"sticky", kgo.StickyBalancer},
		{"cooperative-sticky", kgo.CooperativeStickyBalancer},
	} {
		t.Run(bal.name, func(t *testing.T) {
			t.Parallel()
			b, addr := startBroker(t, t.TempDir(), groupOverrides...)
			defer b.Close()
			topic, group := "t-"+bal.name, "g-"+bal.name
			createTopic(t, addr, topic, 4)
			var members []*groupMember
			for i := 0; i < 2; i++ {
				cl := newClient(t, addr, kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.Balancers(bal.b()),
					kgo.HeartbeatInterval(100*time.Millisecond), kgo.FetchMaxWait(200*time.Millisecond),
					kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
				members = append(members, &groupMember{cl: cl, name: fmt.Sprint(i)})
			}
			// Poll in the background: a member only joins (and rebalances)
			// while its client is being polled.
			const n = 2000
			var mu sync.Mutex
			seen := map[string]string{} // value → member
			owner := map[int32]string{} // partition → member
			dups := 0
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			for _, m := range members {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for ctx.Err() == nil {
						fs := m.cl.PollFetches(ctx)
						mu.Lock()
						fs.EachRecord(func(r *kgo.Record) {
							if _, ok := seen[string(r.Value)]; ok {
								dups++
							}
							seen[string(r.Value)] = m.name
							if o, ok := owner[r.Partition]; ok && o != m.name {
								dups += 1000 // a partition consumed by both members
							}
							owner[r.Partition] = m.name
						})
						mu.Unlock()
					}
				}()
			}
			defer func() { cancel(); wg.Wait() }()
			adm := kadm.NewClient(newClient(t, addr))
			waitFor(t, 30*time.Second, "two members with two partitions each", func() bool {
				a := memberAssignments(t, adm, group)
				return len(a) == 2 && a[0] == 2 && a[1] == 2
			})
			produceN(t, newClient(t, addr), topic, n)
			waitFor(t, 30*time.Second, "every record consumed", func() bool {
				mu.Lock()
				defer mu.Unlock()
				return len(seen) == n
			})
			mu.Lock()
			defer mu.Unlock()
			if dups != 0 || len(owner) != 4 {
				t.Fatalf("duplicates %d, partitions consumed %d", dups, len(owner))
			}
			per := map[string]int{}
			for _, o := range owner {
				per[o]++
			}
			if per["0"] != 2 || per["1"] != 2 {
				t.Fatalf("partitions per member %v, want 2 each", per)
			}
		})
	}
}

func TestGroupCommitSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	b, addr := startBroker(t, dir, groupOverrides...)
	createTopic(t, addr, "r", 1)
	produceN(t, newClient(t, addr), "r", 100)
	cl := newClient(t, addr, kgo.ConsumerGroup("resume"), kgo.ConsumeTopics("r"), kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got []*kgo.Record
	for len(got) < 40 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d records: %v", len(got), ctx.Err())
		}
		got = append(got, fs.Records()...)
	}
	if err := cl.CommitRecords(ctx, got[39]); err != nil { // commits offset 40
		t.Fatal(err)
	}
	cl.Close() // leaves the group: it is stored Empty
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	b2, addr2 := startBroker(t, dir, groupOverrides...)
	defer b2.Close()
	adm := kadm.NewClient(newClient(t, addr2))
	var offs kadm.OffsetResponses
	waitFor(t, 10*time.Second, "offsets loaded after restart", func() bool {
		var err error
		offs, err = adm.FetchOffsets(ctx, "resume")
		return err == nil
	})
	if o, _ := offs.Lookup("r", 0); o.At != 40 {
		t.Fatalf("committed offset after restart: %+v", o)
	}
	cl2 := newClient(t, addr2, kgo.ConsumerGroup("resume"), kgo.ConsumeTopics("r"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	fs := cl2.PollFetches(ctx)
	if recs := fs.Records(); len(recs) == 0 || recs[0].Offset != 40 {
		t.Fatalf("resumed at %v, want offset 40 (errors %v)", recs, fs.Errors())
	}
	lag, err := b2.groups.Lag(ctx, "resume")
	if err != nil || len(lag) != 1 || lag[0].HighWatermark != 100 || lag[0].Lag != 60 {
		t.Fatalf("lag: %+v %v", lag, err)
	}
}
