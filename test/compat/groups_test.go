package compat

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Consumer-group scenario names: matrix rows shared by every client.
const (
	groupConsume  = "group consume"
	groupResume   = "group commit and resume"
	groupSplit    = "group split 2 members"
	groupStatic   = "group static membership"
	groupLag      = "group lag"
	groupBalancer = "group balancer " // + balancer name
)

// expectGroupsEnv makes missing consumer groups a failure instead of a skip.
// The escape hatch exists only until the coordinator lands.
const allowNoGroupsEnv = "STROM_COMPAT_ALLOW_NO_GROUPS"

// brokerAPIs holds the broker's ApiVersions ranges (key → {min, max}), read
// once by probeBroker before any test runs and read-only afterwards.
var brokerAPIs map[int16][2]int16

// probeBroker asks the broker for its ApiVersions.
func probeBroker(addr string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctx, cl)
	if err == nil {
		err = kerrOf(resp.ErrorCode)
	}
	if err != nil {
		return fmt.Errorf("ApiVersions: %w", err)
	}
	brokerAPIs = map[int16][2]int16{}
	for _, k := range resp.ApiKeys {
		brokerAPIs[k.ApiKey] = [2]int16{k.MinVersion, k.MaxVersion}
	}
	return nil
}

func kerrOf(code int16) error {
	if code == 0 {
		return nil
	}
	return fmt.Errorf("error code %d", code)
}

// advertises reports whether the broker's range for key includes version v.
func advertises(key kmsg.Key, v int16) bool {
	r, ok := brokerAPIs[int16(key)]
	return ok && r[0] <= v && v <= r[1]
}

// groupsServed reports whether the broker advertises the group coordinator:
// FindCoordinator v0 is what librdkafka, kafka-go and the rest look for.
func groupsServed() bool { return advertises(kmsg.FindCoordinator, 0) }

// needGroups fails t when the broker does not advertise FindCoordinator,
// unless STROM_COMPAT_ALLOW_NO_GROUPS is set (for a broker under test that
// has no group coordinator), which skips it instead.
func needGroups(t *testing.T) {
	t.Helper()
	if groupsServed() {
		return
	}
	msg := "the broker does not advertise FindCoordinator v0 (ApiVersions), so consumer groups are not served"
	if os.Getenv(allowNoGroupsEnv) == "" {
		t.Fatalf("%s (set %s=1 to skip the group scenarios against such a broker)", msg, allowNoGroupsEnv)
	}
	t.Skipf("%s; skipping because %s is set", msg, allowNoGroupsEnv)
}

// within returns d, or less if the scenario's deadline comes first, so that a
// scenario's successive waits stay inside one scenarioTimeout.
func within(t *testing.T, d time.Duration) time.Duration {
	t.Helper()
	if dl, ok := scenarioContext(t).Deadline(); ok {
		d = min(d, time.Until(dl))
	}
	return max(d, 0)
}

// groupName returns a consumer group name unique to this scenario and run.
func groupName(t *testing.T, suffix string) string {
	t.Helper()
	return strings.Replace(topicName(t), "compat-", "compat-grp-", 1) + suffix
}

// produceSpread produces n records to each of partitions 0..parts-1 of topic
// with franz-go (value <prefix>p<P>-<i>) and returns what the broker
// acknowledged as "P/O value" lines, by partition in offset order.
func produceSpread(t *testing.T, topic string, parts int32, n int, prefix string) map[int32][]string {
	t.Helper()
	cl := newKgo(t, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	var recs []*kgo.Record
	for p := range parts {
		for i := range n {
			recs = append(recs, &kgo.Record{Topic: topic, Partition: p, Value: fmt.Appendf(nil, "%sp%d-%d", prefix, p, i)})
		}
	}
	if err := cl.ProduceSync(scenarioContext(t), recs...).FirstErr(); err != nil {
		t.Fatalf("ProduceSync to %s: %v", topic, err)
	}
	out := map[int32][]string{}
	for _, r := range recs {
		out[r.Partition] = append(out[r.Partition], recordLine(r.Partition, r.Offset, string(r.Value)))
	}
	return out
}

func recordLine(p int32, off int64, value string) string {
	return fmt.Sprintf("%d/%d %s", p, off, value)
}

// byPartitionLines groups "P/O value" lines by P, keeping arrival order.
func byPartitionLines(t *testing.T, ls []string) map[int32][]string {
	t.Helper()
	out := map[int32][]string{}
	for _, l := range ls {
		ps, _, ok := strings.Cut(l, "/")
		p, err := strconv.ParseInt(ps, 10, 32)
		if !ok || err != nil {
			t.Fatalf("line %q is not \"partition/offset value\"", l)
		}
		out[int32(p)] = append(out[int32(p)], l)
	}
	return out
}

// samePerPartition fails t unless got holds exactly want's lines, each
// partition in order: every message once, none missing, none extra.
func samePerPartition(t *testing.T, what string, got []string, want map[int32][]string) {
	t.Helper()
	have := byPartitionLines(t, got)
	want = maps.Clone(want)
	maps.DeleteFunc(want, func(_ int32, ls []string) bool { return len(ls) == 0 })
	if gp, wp := slices.Sorted(maps.Keys(have)), slices.Sorted(maps.Keys(want)); !slices.Equal(gp, wp) {
		t.Fatalf("%s: read partitions %v, want %v\ngot: %q", what, gp, wp, got)
	}
	for p := range want {
		equalLines(t, fmt.Sprintf("%s, partition %d", what, p), have[p], want[p])
	}
}

// concat returns the lines of ms, partition by partition.
func concat(ms ...map[int32][]string) map[int32][]string {
	out := map[int32][]string{}
	for _, m := range ms {
		for p, ls := range m {
			out[p] = append(out[p], ls...)
		}
	}
	return out
}

// requireCommitted fails t unless group's committed offsets for topic, read
// with kadm (OffsetFetch), are exactly want (partition → next offset).
func requireCommitted(t *testing.T, group, topic string, want map[int32]int64) {
	t.Helper()
	resp, err := kadm.NewClient(newKgo(t)).FetchOffsets(scenarioContext(t), group)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		t.Fatalf("OffsetFetch %s: %v", group, err)
	}
	got := map[int32]int64{}
	for p, o := range resp[topic] {
		got[p] = o.At
	}
	if !maps.Equal(got, want) {
		t.Fatalf("group %s committed %v on %s, want %v", group, got, topic, want)
	}
}

// ends returns, for each partition in m, the offset after its last line.
func ends(m map[int32][]string) map[int32]int64 {
	out := map[int32]int64{}
	for p, ls := range m {
		out[p] = int64(len(ls))
	}
	return out
}
