package cluster

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strom-project/strom/internal/testutil"
)

// TestKillGroupCoordinator commits offsets, SIGKILLs the group's
// coordinator (the leader of its __consumer_offsets partition) and checks
// that the coordinator moves with that partition's leadership: the new one
// serves exactly the committed offsets, a consumer in the group resumes
// from them, and commits keep working. Commits are acknowledged only once
// the offsets partition's ISR has them, so the kill cannot lose one.
func TestKillGroupCoordinator(t *testing.T) {
	c := startCluster(t)
	topic := createTopic(t, c)
	const group, perPartition = "cluster-group", 50
	cl := newClient(t, c, kgo.RequiredAcks(kgo.AllISRAcks()))
	ctx, cancel := context.WithTimeout(t.Context(), readTimeout)
	defer cancel()
	for p := range int32(partitions) {
		for i := range perPartition {
			r := &kgo.Record{Topic: topic, Partition: p, Value: fmt.Appendf(nil, "%d-%d", p, i)}
			if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
				t.Fatalf("producing: %v", err)
			}
		}
	}

	adm := kadm.NewClient(newClient(t, c))
	committed := kadm.Offsets{}
	for p := range int32(partitions) {
		committed.Add(kadm.Offset{Topic: topic, Partition: p, At: int64(10 * (p + 1)), LeaderEpoch: -1})
	}
	testutil.WaitFor(t, settleTimeout, func() error {
		resp, err := adm.CommitOffsets(ctx, group, committed)
		if err == nil {
			err = resp.Error()
		}
		return err
	})
	coord := coordinator(t, adm, group)
	killed := time.Now()
	if err := c.Node(coord).Kill(); err != nil {
		t.Fatalf("killing node %d: %v", coord, err)
	}
	// A fresh client seeded with the live nodes: one that knew the dead
	// coordinator would first spend its retries dialling it.
	var live []string
	for _, id := range c.Running() {
		live = append(live, c.Node(id).Addr())
	}
	adm = kadm.NewClient(newClient(t, c, kgo.SeedBrokers(live...)))
	var moved int32
	testutil.WaitFor(t, electTimeout, func() error {
		r := adm.FindGroupCoordinators(ctx, group)[group]
		if r.Err != nil || r.NodeID == coord {
			return fmt.Errorf("coordinator of %s: node %d, err %v", group, r.NodeID, r.Err)
		}
		moved = r.NodeID
		return nil
	})
	var fetched kadm.OffsetResponses
	testutil.WaitFor(t, electTimeout, func() error {
		var err error
		if fetched, err = adm.FetchOffsets(ctx, group); err == nil {
			err = fetched.Error()
		}
		return err
	})
	t.Logf("coordinator moved from node %d to node %d; offsets served %v after the kill", coord, moved, time.Since(killed).Round(time.Millisecond))
	for p := range int32(partitions) {
		want, _ := committed.Lookup(topic, p)
		got, ok := fetched.Lookup(topic, p)
		if !ok || got.At != want.At {
			t.Errorf("partition %d: committed %d, the new coordinator has %+v", p, want.At, got)
		}
	}

	// A member of the group resumes exactly at the committed offsets and
	// commits what it read.
	consumer := newClient(t, c, kgo.SeedBrokers(live...), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic), kgo.DisableAutoCommit(),
		kgo.SessionTimeout(6*time.Second), kgo.RebalanceTimeout(10*time.Second))
	first := map[int32]int64{}
	want := partitions*perPartition - (10 + 20 + 30)
	read := 0
	for read < want {
		fs := consumer.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("read %d of %d records after the failover: %v", read, want, err)
		}
		fs.EachError(func(_ string, p int32, err error) { t.Logf("fetch partition %d: %v", p, err) })
		fs.EachRecord(func(r *kgo.Record) {
			if _, ok := first[r.Partition]; !ok {
				first[r.Partition] = r.Offset
			}
			read++
		})
	}
	for _, p := range slices.Sorted(maps.Keys(first)) {
		if w, _ := committed.Lookup(topic, p); first[p] != w.At {
			t.Errorf("partition %d: the group resumed at offset %d, committed was %d", p, first[p], w.At)
		}
	}
	if err := consumer.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatalf("committing after the failover: %v", err)
	}
	if err := c.Node(coord).Restart(); err != nil {
		t.Fatalf("restarting node %d: %v", coord, err)
	}
}

func coordinator(t *testing.T, adm *kadm.Client, group string) int32 {
	t.Helper()
	var id int32
	testutil.WaitFor(t, settleTimeout, func() error {
		r := adm.FindGroupCoordinators(t.Context(), group)[group]
		id = r.NodeID
		return r.Err
	})
	return id
}
