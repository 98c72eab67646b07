package durability

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/teststrom"
)

const (
	explicitRecords   = 300  // per partition, before the kill
	continuousRecords = 3000 // per partition: the committer is still busy at the kill
	resumeRecords     = 50   // per partition, after the restart
)

// TestGroupOffsetsSurviveKill commits group offsets, SIGKILLs the broker and
// restarts it: OffsetFetch must return what was committed, and a new member
// of the group must resume exactly there and read the rest once each.
//
// "explicit-commit": a member reads everything, commits chosen offsets
// (mid-partition, 0, the end) and OffsetFetch confirms them; the broker is
// killed with the member still in the group, and must return exactly them.
// "committing-continuously": a member process commits after every poll of
// at most 3 records, and the broker is killed under it: the offsets after the
// restart must be at least the last ones whose commit was acknowledged (they
// never go backwards) and at most the end of what was consumed.
func TestGroupOffsetsSurviveKill(t *testing.T) {
	var rows []offsetRow
	defer func() { logOffsetRows(t, rows) }()
	for _, tc := range []struct {
		name              string
		flush, continuous bool
	}{
		{"explicit-commit", false, false},
		{"explicit-commit-flush-every-message", true, false},
		{"committing-continuously", false, true},
		{"committing-continuously-flush-every-message", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			overrides := slices.Clone(groupOverrides)
			if tc.flush {
				overrides = append(overrides, "log.flush.interval.messages=1")
			}
			rows = append(rows, offsetsAcrossKill(t, tc.name, overrides, tc.continuous)...)
		})
	}
}

// offsetRow is one partition of one case; -1 stands for none / not measured.
type offsetRow struct {
	name                                  string
	partition                             int32
	produced, acked, consumed, fetchedPre int64
	fetchedPost, resumedAt                int64
	readAfter                             int
	restart                               time.Duration
}

func offsetsAcrossKill(t *testing.T, name string, overrides []string, continuous bool) []offsetRow {
	t.Helper()
	b := startBroker(t, overrides...)
	topic := createTopic(t, b)
	group := topic
	n := int64(explicitRecords)
	if continuous {
		n = continuousRecords
	}
	produceValues(t, b, topic, partitions, "v", 0, n)
	rows := make([]offsetRow, partitions)
	var lo, hi map[int32]int64 // bounds of the offsets committed after the restart
	if !continuous {
		target := map[int32]int64{0: 137, 1: 0, 2: n}
		abandon := commitOffsets(t, b, topic, group, n*int64(partitions), target)
		pre := fetchCommitted(t, b, group, topic)
		if !maps.Equal(pre, target) {
			t.Fatalf("OffsetFetch before the kill: %v, committed %v", pre, target)
		}
		if err := b.Kill(); err != nil {
			t.Fatal(err)
		}
		abandon() // before the restart, so that it cannot leave the group
		lo, hi = target, target
		for p := range partitions {
			rows[p].consumed, rows[p].fetchedPre = n, pre[p]
		}
	} else {
		m := startMember(t, "committer", memberSpec{broker: b.Addr(), group: group, topic: topic, session: memberSession, maxPoll: 3})
		waitFor(t, produceTimeout, func() error {
			if c := sum(m.commits()); c < n*int64(partitions)/4 {
				return fmt.Errorf("member committed %d records so far (errors: %q)", c, m.lastErrors(3))
			}
			return nil
		})
		if err := b.Kill(); err != nil {
			t.Fatal(err)
		}
		m.kill() // every commit it printed was acknowledged before the broker died
		lo, hi = m.commits(), map[int32]int64{}
		for _, c := range m.records() {
			hi[c.partition] = max(hi[c.partition], c.offset+1)
		}
		if sum(lo) >= n*int64(partitions) {
			t.Fatalf("the member had committed everything (%v) before the kill; produce more", lo)
		}
		for p := range partitions {
			rows[p].consumed, rows[p].fetchedPre = get(hi, p), -1
		}
	}
	took := restart(t, b)
	post := fetchCommitted(t, b, group, topic)
	for p := range partitions {
		if get(post, p) < get(lo, p) || get(post, p) > get(hi, p) {
			t.Errorf("partition %d: committed offset after the restart is %d, want within [%d, %d] (acknowledged, consumed)",
				p, get(post, p), get(lo, p), get(hi, p))
		}
	}

	produceValues(t, b, topic, partitions, "v", n, resumeRecords)
	read := resumeGroup(t, b, topic, group, n+resumeRecords)
	for p := range partitions {
		want := max(get(post, p), 0) // no commit: the consumer starts at the log start
		rows[p] = offsetRow{name: name, partition: p, produced: n, acked: get(lo, p), consumed: rows[p].consumed,
			fetchedPre: rows[p].fetchedPre, fetchedPost: get(post, p), resumedAt: read[p][0].offset, readAfter: len(read[p]), restart: took}
		for _, c := range read[p] {
			if c.offset != want || c.value != valueAt("v", p, want) {
				t.Errorf("partition %d: the resumed member read offset %d %q, want %d %q", p, c.offset, c.value, want, valueAt("v", p, want))
			}
			want = c.offset + 1
		}
	}
	if err := b.Stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
	return rows
}

// commitOffsets joins group as a member, reads all total records of topic,
// commits target with the member's generation and returns a function that
// abandons the member (no LeaveGroup reaches a dead broker). t's cleanup
// abandons it too.
func commitOffsets(t *testing.T, b *teststrom.Broker, topic, group string, total int64, target map[int32]int64) (abandon func()) {
	t.Helper()
	mctx, cancel := context.WithCancel(context.Background())
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.SessionTimeout(memberSession), kgo.HeartbeatInterval(300*time.Millisecond), kgo.DisableAutoCommit(), kgo.WithContext(mctx))
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	abandon = func() { once.Do(func() { cancel(); closeClient(t, cl) }) }
	t.Cleanup(abandon)
	ctx, cancelRead := context.WithTimeout(t.Context(), readTimeout)
	defer cancelRead()
	for read := int64(0); read < total; {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("member read %d of %d records within %v", read, total, readTimeout)
		}
		read += int64(fs.NumRecords())
	}
	offsets := map[string]map[int32]kgo.EpochOffset{topic: {}}
	for p, o := range target {
		offsets[topic][p] = kgo.EpochOffset{Epoch: -1, Offset: o}
	}
	var cerr error
	cl.CommitOffsetsSync(ctx, offsets, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			cerr = err
			return
		}
		for _, rt := range resp.Topics {
			for _, rp := range rt.Partitions {
				if err := kerr.ErrorForCode(rp.ErrorCode); err != nil && cerr == nil {
					cerr = fmt.Errorf("partition %d: %w", rp.Partition, err)
				}
			}
		}
	})
	if cerr != nil {
		t.Fatalf("committing %v: %v", target, cerr)
	}
	return abandon
}

// fetchCommitted returns group's committed offsets of topic (none: absent),
// retrying while the coordinator is unavailable or loading. The first answer
// without error is returned as it is: a partial one would be a broker bug.
func fetchCommitted(t *testing.T, b *teststrom.Broker, group, topic string) map[int32]int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer closeClient(t, cl)
	ctx, cancel := context.WithTimeout(t.Context(), readyTimeout)
	defer cancel()
	out := map[int32]int64{}
	waitFor(t, readyTimeout, func() error {
		resp, err := kadm.NewClient(cl).FetchOffsets(ctx, group)
		if err == nil {
			err = resp.Error()
		}
		if err != nil {
			return err
		}
		for p, o := range resp[topic] {
			out[p] = o.At
		}
		return nil
	})
	return out
}

// resumeGroup joins group as a new member and reads topic until every
// partition has been read up to end, returning the records by partition.
func resumeGroup(t *testing.T, b *teststrom.Broker, topic, group string, end int64) map[int32][]consumed {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.SessionTimeout(memberSession), kgo.HeartbeatInterval(300*time.Millisecond), kgo.DisableAutoCommit())
	if err != nil {
		t.Fatal(err)
	}
	defer closeClient(t, cl)
	ctx, cancel := context.WithTimeout(t.Context(), readTimeout)
	defer cancel()
	got := map[int32][]consumed{}
	for p := int32(0); p < partitions; {
		if rs := got[p]; len(rs) > 0 && rs[len(rs)-1].offset >= end-1 {
			p++
			continue
		}
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("the resumed member did not read every partition up to %d within %v: read %d, %d, %d records",
				end, readTimeout, len(got[0]), len(got[1]), len(got[2]))
		}
		fs.EachRecord(func(r *kgo.Record) {
			got[r.Partition] = append(got[r.Partition], consumed{partition: r.Partition, offset: r.Offset, value: string(r.Value)})
		})
	}
	return got
}

func sum(m map[int32]int64) int64 {
	var s int64
	for _, v := range m {
		s += v
	}
	return s
}

// get returns m[p], or -1 when absent.
func get(m map[int32]int64, p int32) int64 {
	if v, ok := m[p]; ok {
		return v
	}
	return -1
}

func logOffsetRows(t *testing.T, rows []offsetRow) {
	t.Helper()
	dash := func(v int64) string {
		if v < 0 {
			return "-"
		}
		return strconv.FormatInt(v, 10)
	}
	var sb strings.Builder
	w := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "case\tpartition\tproduced\tcommit acked\tconsumed\tfetched pre-kill\tfetched post-restart\tresumed at\tread after\trestart\t")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%d\t%d\t%v\t\n", r.name, r.partition, r.produced, dash(r.acked), dash(r.consumed),
			dash(r.fetchedPre), dash(r.fetchedPost), r.resumedAt, r.readAfter, r.restart.Round(time.Millisecond))
	}
	w.Flush()
	t.Logf("results:\n%s", sb.String())
}
