package durability

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strom-project/strom/internal/teststrom"
)

// Group tests run the coordinator with Kafka's test-friendly settings: no
// wait for more members before the first rebalance, short sessions allowed.
var groupOverrides = []string{"group.initial.rebalance.delay.ms=0", "group.min.session.timeout.ms=1000"}

const (
	memberSession   = 3 * time.Second
	reassignTimeout = 20 * time.Second // kill → survivor holds everything: session + rebalance + margin
	crashPartitions = int32(4)
	crashRecords    = 10 // per partition, before and again after the crash
)

// TestGroupMemberCrash runs two members of one group as separate processes
// on a 4-partition topic, two partitions each, and SIGKILLs one: it sends no
// LeaveGroup, so only its session timing out can free its partitions. The
// survivor must be assigned all four within reassignTimeout, resume the dead
// member's partitions exactly at its last acknowledged commit, consume new
// records of every partition, and be the group's only member. The results
// table gives kill → session expiry (the broker's log) and kill → the
// survivor's new assignment, once per client balancer (eager "range" revokes
// everything at a rebalance; cooperative-sticky keeps what stays).
func TestGroupMemberCrash(t *testing.T) {
	var rows []crashRow
	defer func() { logCrashRows(t, rows) }()
	for _, tc := range []struct{ name, balancer string }{
		{"cooperative-sticky", ""},
		{"range-eager", "range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := memberCrash(t, tc.balancer)
			r.name = tc.name
			rows = append(rows, r)
		})
	}
}

type crashRow struct {
	name                string
	victim              []int32       // partitions the killed member held
	expired, reassigned time.Duration // after the kill; expired < 0 if not logged
	resumedAt           int64         // first offset the survivor read of the victim's partitions
	readAfter, members  int
}

func memberCrash(t *testing.T, balancer string) crashRow {
	t.Helper()
	b := startBroker(t, groupOverrides...)
	topic := createTopicN(t, b, crashPartitions)
	spec := memberSpec{broker: b.Addr(), group: topic, topic: topic, session: memberSession, balancer: balancer, maxPoll: 100}
	survivor, victim := startMember(t, "survivor", spec), startMember(t, "victim", spec)
	waitFor(t, readyTimeout, func() error {
		s, _ := survivor.assignment()
		v, _ := victim.assignment()
		if len(s) != 2 || len(v) != 2 || slices.ContainsFunc(s, func(p int32) bool { return slices.Contains(v, p) }) {
			return fmt.Errorf("assignments %v and %v, want two disjoint pairs (errors: %q %q)", s, v, survivor.lastErrors(3), victim.lastErrors(3))
		}
		return nil
	})
	produceValues(t, b, topic, crashPartitions, "pre", 0, crashRecords)
	waitFor(t, readyTimeout, func() error { // both commit everything, so the handover point is known
		for _, m := range []*member{survivor, victim} {
			ps, _ := m.assignment()
			for _, p := range ps {
				if c := m.commits()[p]; c != crashRecords {
					return fmt.Errorf("%s committed %d of partition %d, want %d", m.name, c, p, crashRecords)
				}
			}
		}
		return nil
	})

	r := crashRow{expired: -1}
	r.victim, _ = victim.assignment()
	killedAt := victim.kill()
	waitFor(t, reassignTimeout, func() error {
		ps, at := survivor.assignment()
		if len(ps) != int(crashPartitions) {
			return fmt.Errorf("survivor holds %v since %v after the kill", ps, at.Sub(killedAt))
		}
		r.reassigned = at.Sub(killedAt)
		return nil
	})
	if at, ok := brokerLogTime(b, "member session expired"); ok {
		r.expired = at.Sub(killedAt)
	} else {
		t.Errorf("the broker did not log a session expiry")
	}
	if r.expired >= 0 && r.expired < memberSession-time.Second {
		t.Logf("the broker expelled the killed member %v after the kill, before its %v session could lapse", r.expired, memberSession)
	}

	produceValues(t, b, topic, crashPartitions, "post", crashRecords, crashRecords)
	var after []consumed
	waitFor(t, readTimeout, func() error {
		after = slices.DeleteFunc(survivor.records(), func(c consumed) bool { return c.at.Before(killedAt) })
		if len(after) < int(crashPartitions)*crashRecords {
			return fmt.Errorf("survivor read %d records since the kill, want %d", len(after), int(crashPartitions)*crashRecords)
		}
		return nil
	})
	r.readAfter = len(after)
	r.resumedAt = -1
	next := map[int32]int64{}
	for _, c := range after {
		want := next[c.partition]
		if want == 0 {
			want = crashRecords // everything before was committed: resume exactly there
			if slices.Contains(r.victim, c.partition) && r.resumedAt < 0 {
				r.resumedAt = c.offset
			}
		}
		if c.offset != want || c.value != valueAt("post", c.partition, c.offset) {
			t.Errorf("survivor read partition %d offset %d %q after the kill, want offset %d %q",
				c.partition, c.offset, c.value, want, valueAt("post", c.partition, want))
		}
		next[c.partition] = c.offset + 1
	}
	r.members = describeMembers(t, b, topic, crashPartitions)
	return r
}

// describeMembers waits until DescribeGroups shows group Stable with one
// member, assigned all partitions of topic, and returns the member count.
func describeMembers(t *testing.T, b *teststrom.Broker, group string, partitions int32) int {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer closeClient(t, cl)
	ctx, cancel := context.WithTimeout(t.Context(), readyTimeout)
	defer cancel()
	members := -1
	waitFor(t, readyTimeout, func() error {
		groups, err := kadm.NewClient(cl).DescribeGroups(ctx, group)
		if err != nil {
			return err
		}
		g := groups[group]
		if g.Err != nil {
			return g.Err
		}
		members = len(g.Members)
		if g.State != "Stable" || members != 1 {
			return fmt.Errorf("group %s is %s with %d members, want Stable with 1", group, g.State, members)
		}
		as, ok := g.Members[0].Assigned.AsConsumer()
		if !ok || len(as.Topics) != 1 || len(as.Topics[0].Partitions) != int(partitions) {
			return fmt.Errorf("the member's assignment is %+v, want all %d partitions", as, partitions)
		}
		return nil
	})
	return members
}

// produceRound is how many records per partition produceValues sends at a
// time: small batches, so that a fetch with a small per-partition limit
// returns some of every partition and a member's commits interleave them.
const produceRound = 10

// produceValues writes n records to each partition, values valueAt(prefix,
// p, first+i), and waits for every acknowledgement: on a fresh topic, a
// value names its own offset.
func produceValues(t *testing.T, b *teststrom.Broker, topic string, partitions int32, prefix string, first, n int64) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer closeClient(t, cl)
	ctx, cancel := context.WithTimeout(t.Context(), produceTimeout)
	defer cancel()
	for from := first; from < first+n; from += produceRound {
		var recs []*kgo.Record
		for p := range partitions {
			for o := from; o < min(from+produceRound, first+n); o++ {
				recs = append(recs, &kgo.Record{Topic: topic, Partition: p, Value: []byte(valueAt(prefix, p, o))})
			}
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatalf("producing offsets [%d, %d): %v", from, from+produceRound, err)
		}
	}
}

func valueAt(prefix string, p int32, offset int64) string {
	return fmt.Sprintf("%s-%d-%d", prefix, p, offset)
}

var logTimeRE = regexp.MustCompile(`^time=(\S+) `)

// brokerLogTime returns the time of the broker's last log line containing s.
func brokerLogTime(b *teststrom.Broker, s string) (time.Time, bool) {
	lines := strings.Split(b.LogTail(100000), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if m := logTimeRE.FindStringSubmatch(lines[i]); m != nil && strings.Contains(lines[i], s) {
			at, err := time.Parse(time.RFC3339Nano, m[1])
			return at, err == nil
		}
	}
	return time.Time{}, false
}

func logCrashRows(t *testing.T, rows []crashRow) {
	t.Helper()
	var sb strings.Builder
	w := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "case\tsession\tvictim held\tkill→expired (broker)\tkill→reassigned (survivor)\tresumed at\tread after\tmembers\t")
	for _, r := range rows {
		expired := "-"
		if r.expired >= 0 {
			expired = r.expired.Round(time.Millisecond).String()
		}
		fmt.Fprintf(w, "%s\t%v\t%v\t%s\t%v\t%d\t%d\t%d\t\n", r.name, memberSession, r.victim, expired,
			r.reassigned.Round(time.Millisecond), r.resumedAt, r.readAfter, r.members)
	}
	w.Flush()
	t.Logf("results:\n%s", sb.String())
}
