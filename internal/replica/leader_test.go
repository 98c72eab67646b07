package replica

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/strom-project/strom/internal/metadata"
)

// TestFollowerCaughtUp checks Kafka's lastCaughtUpTimeMs rule: a fetch at
// the leader's end makes the follower caught up now; a fetch at what was
// the leader's end at its previous fetch makes it caught up as of then.
func TestFollowerCaughtUp(t *testing.T) {
	const lag = 1000
	type fetch struct{ now, offset, leaderLEO int64 }
	for _, c := range []struct {
		name        string
		fetches     []fetch
		wantCaught  int64
		checkAt     int64
		checkLEO    int64
		wantCaughtB bool
	}{
		{"at the leader's end", []fetch{{100, 10, 10}}, 100, 1100, 20, true},
		{"behind, never caught up", []fetch{{100, 5, 10}}, 0, 1100, 10, false},
		{"reached the previous end", []fetch{{100, 5, 10}, {200, 10, 15}}, 100, 1100, 15, true},
		{"reached the previous end, too late", []fetch{{100, 5, 10}, {200, 10, 15}}, 100, 1101, 15, false},
		{"falls behind", []fetch{{100, 10, 10}, {900, 12, 20}, {1500, 18, 30}}, 100, 1500, 30, false},
		{"level with the leader is in sync however old", []fetch{{100, 10, 10}}, 100, 99999, 10, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFollower(0)
			for _, ft := range c.fetches {
				f.updateFetch(ft.offset, 0, ft.now, ft.leaderLEO, -1)
			}
			if f.lastCaughtUpMs != c.wantCaught {
				t.Errorf("lastCaughtUp %d, want %d", f.lastCaughtUpMs, c.wantCaught)
			}
			if got := f.caughtUp(c.checkLEO, c.checkAt, lag); got != c.wantCaughtB {
				t.Errorf("caughtUp(leo %d, now %d) = %v, want %v", c.checkLEO, c.checkAt, got, c.wantCaughtB)
			}
		})
	}
}

// TestHighWatermarkIsMinISRLogEnd: the HW is the smallest log end among the
// leader and the ISR, waits for followers not heard from yet, and never
// goes back.
func TestHighWatermarkIsMinISRLogEnd(t *testing.T) {
	h := newHarness(t, 1)
	p := h.apply(metadata.Partition{Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2, 3}, Leader: 1}, nil)
	mustAppend(t, p, 10, 1)
	wantHW(t, p, 0) // followers' positions unknown since this leadership began
	fetched := func(id int32, offset int64) {
		t.Helper()
		if err := p.FollowerFetched(id, offset, 0, -1, p.Log.LogEndOffset()); err != nil {
			t.Fatal(err)
		}
	}
	fetched(2, 4)
	wantHW(t, p, 0)
	fetched(3, 6)
	wantHW(t, p, 4)
	fetched(2, 10)
	wantHW(t, p, 6)
	fetched(3, 10)
	wantHW(t, p, 10)
	fetched(2, 5) // a truncated follower: the HW stays
	wantHW(t, p, 10)
	if err := p.FollowerFetched(4, 10, 0, -1, 10); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("fetch from a non-replica: %v", err)
	}
	if err := p.CheckFollower(4); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("CheckFollower(4): %v", err)
	}
	h.ctrl.none(t) // everyone is in the ISR
}

// TestSingleReplica: with no followers the HW follows every append, and
// min.insync.replicas above the replica count is capped (Kafka's
// effectiveMinIsr).
func TestSingleReplica(t *testing.T) {
	h := newHarness(t, 1)
	p := h.apply(metadata.Partition{Replicas: []int32{1}, ISR: []int32{1}, Leader: 1}, map[string]string{"min.insync.replicas": "2"})
	res := mustAppend(t, p, 3, -1)
	wantHW(t, p, 3)
	if done, err := p.Committed(res.LeaderEpoch, res.LastOffset+1); !done || err != nil {
		t.Fatalf("committed: %v %v", done, err)
	}
	if _, err := p.AppendCoordinator(batch(t, 1, "c")); err != nil {
		t.Fatal(err)
	}
	wantHW(t, p, 4)
}

// TestStrictMinISR: with the ISR below min.insync.replicas acks=all is
// refused before writing and the HW does not move (KIP-966).
func TestStrictMinISR(t *testing.T) {
	h := newHarness(t, 1)
	p := h.apply(metadata.Partition{Replicas: []int32{1, 2}, ISR: []int32{1}, Leader: 1}, map[string]string{"min.insync.replicas": "2"})
	if _, err := p.Append(batch(t, 1, "x"), -1); !errors.Is(err, ErrNotEnoughReplicas) {
		t.Fatalf("acks=all under min ISR: %v", err)
	}
	if p.Log.LogEndOffset() != 0 {
		t.Fatalf("refused write reached the log: LEO %d", p.Log.LogEndOffset())
	}
	mustAppend(t, p, 2, 1)
	wantHW(t, p, 0)
	if _, err := p.AppendCoordinator(batch(t, 1, "c")); !errors.Is(err, ErrNotEnoughReplicas) {
		t.Fatalf("coordinator write under min ISR: %v", err)
	}
}

// TestISRExpansion: a follower joins once it reaches the HW and this epoch's
// start; while the change is in flight the HW already waits for it
// (maximal ISR); it counts for min.insync.replicas only once committed.
func TestISRExpansion(t *testing.T) {
	h := newHarness(t, 1)
	// Epoch 0: follower 2 in the ISR, unknown position, holds the HW at 0.
	p := h.apply(metadata.Partition{Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2}, Leader: 1}, nil)
	mustAppend(t, p, 5, 1)
	wantHW(t, p, 0)
	// Re-elected at epoch 1: the epoch starts at offset 5.
	p = h.apply(metadata.Partition{Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2}, Leader: 1, LeaderEpoch: 1, PartitionEpoch: 1}, nil)
	if e, ok := p.Log.EndOffsetForEpoch(0); !ok || e.EndOffset != 5 {
		t.Fatalf("epoch 0 ends at %+v, want 5", e)
	}
	p.FollowerFetched(3, 3, 0, 103, 5) // >= HW 0 but before the epoch start
	h.ctrl.none(t)
	p.FollowerFetched(3, 5, 0, 999, 5) // a stale broker epoch (KIP-903)
	h.ctrl.none(t)
	p.FollowerFetched(3, 5, 0, 103, 5)
	c := h.ctrl.next(t)
	if !slices.Equal(c.isr, []int32{1, 2, 3}) || c.leaderEpoch != 1 || c.partitionEpoch != 1 {
		t.Fatalf("proposal %+v", c)
	}
	// In flight: 3 holds the HW back, 2 as well; one change at a time.
	p.FollowerFetched(2, 5, 0, 102, 5)
	wantHW(t, p, 5)
	mustAppend(t, p, 3, 1)
	p.FollowerFetched(2, 8, 0, 102, 8)
	wantHW(t, p, 5)
	h.ctrl.none(t)
	wantISR(t, p, 1, 2)
	c.reply <- alterReply{st: &metadata.Partition{ISR: c.isr, Leader: 1, LeaderEpoch: 1, PartitionEpoch: 2}}
	testutilWait(t, "ISR committed", func() bool { return len(p.State().ISR) == 3 })
	p.FollowerFetched(3, 8, 0, 103, 8)
	wantHW(t, p, 8)
	// The image catching up with the same partition epoch changes nothing.
	p = h.apply(metadata.Partition{Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2, 3}, Leader: 1, LeaderEpoch: 1, PartitionEpoch: 2}, nil)
	wantISR(t, p, 1, 2, 3)
	wantHW(t, p, 8)
}

// TestCaughtUpFollowerHoldsHW: a member being added holds the HW (maximal
// ISR), and so does a follower outside the ISR that is caught up and
// eligible (Kafka's shouldWaitForReplicaToJoinIsr), so it can reach the
// HW and join; a failed AlterPartition is retried.
func TestCaughtUpFollowerHoldsHW(t *testing.T) {
	h := newHarness(t, 1)
	p := h.apply(metadata.Partition{Replicas: []int32{1, 2, 3}, ISR: []int32{1}, Leader: 1}, nil)
	mustAppend(t, p, 4, 1)
	wantHW(t, p, 4) // the followers are not caught up: the leader runs ahead
	p.FollowerFetched(2, 4, 0, 102, 4)
	c := h.ctrl.next(t)
	if !slices.Equal(c.isr, []int32{1, 2}) {
		t.Fatalf("proposal %v", c.isr)
	}
	c.reply <- alterReply{err: errors.New("controller moved")}
	c = h.ctrl.next(t) // retried
	p.FollowerFetched(3, 4, 0, 103, 4)
	h.ctrl.none(t) // one change at a time
	mustAppend(t, p, 2, 1)
	wantHW(t, p, 4) // 2 is in the maximal ISR, 3 is caught up
	p.FollowerFetched(2, 6, 0, 102, 6)
	wantHW(t, p, 4)
	p.FollowerFetched(3, 5, 0, 103, 6)
	wantHW(t, p, 5)
	c.reply <- alterReply{st: &metadata.Partition{ISR: []int32{1, 2}, Leader: 1, PartitionEpoch: 1}}
	testutilWait(t, "ISR committed", func() bool { return len(p.State().ISR) == 2 })
	p.FollowerFetched(3, 6, 0, 103, 6)
	wantHW(t, p, 6)
	c = h.ctrl.next(t)
	if !slices.Equal(c.isr, []int32{1, 2, 3}) || c.partitionEpoch != 1 {
		t.Fatalf("second proposal %+v", c)
	}
}

// TestISRShrink: a follower that has not caught up for
// replica.lag.time.max.ms is proposed for removal; the HW waits for it
// until the controller commits; an acks=all write waiting meanwhile fails
// with NOT_ENOUGH_REPLICAS_AFTER_APPEND once the ISR is below the minimum,
// and the next one is refused.
func TestISRShrink(t *testing.T) {
	h := newHarness(t, 1, "replica.lag.time.max.ms=10000")
	p := h.apply(metadata.Partition{Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2, 3}, Leader: 1}, map[string]string{"min.insync.replicas": "3"})
	mustAppend(t, p, 5, -1)
	p.FollowerFetched(2, 5, 0, 102, 5)
	p.FollowerFetched(3, 5, 0, 103, 5)
	wantHW(t, p, 5)

	// A silent follower level with the leader stays in sync however long.
	h.clock.Advance(time.Minute)
	h.m.CheckISR()
	h.ctrl.none(t)

	p.FollowerFetched(3, 5, 0, 103, 5) // 3 fetches: caught up now
	res := mustAppend(t, p, 5, -1)     // offsets 5..9
	p.FollowerFetched(2, 10, 0, 102, 10)
	h.clock.Advance(5 * time.Second)
	p.FollowerFetched(2, 10, 0, 102, 10)
	h.m.CheckISR()
	h.ctrl.none(t) // 3 was caught up 5 s ago: within the lag
	h.clock.Advance(6 * time.Second)
	p.FollowerFetched(2, 10, 0, 102, 10)
	h.m.CheckISR()
	c := h.ctrl.next(t)
	if !slices.Equal(c.isr, []int32{1, 2}) {
		t.Fatalf("shrink proposal %v", c.isr)
	}
	wantHW(t, p, 5) // not optimistic
	if done, err := p.Committed(res.LeaderEpoch, res.LastOffset+1); done {
		t.Fatalf("committed before the HW passed: %v", err)
	}
	c.reply <- alterReply{st: &metadata.Partition{ISR: c.isr, Leader: 1, PartitionEpoch: 1}}
	testutilWait(t, "shrink committed", func() bool { return len(p.State().ISR) == 2 })
	if done, err := p.Committed(res.LeaderEpoch, res.LastOffset+1); !done || !errors.Is(err, ErrNotEnoughReplicasAfterAppend) {
		t.Fatalf("waiting write after the shrink: %v %v", done, err)
	}
	wantHW(t, p, 5) // under min ISR: the HW does not move
	if _, err := p.Append(batch(t, 1, "x"), -1); !errors.Is(err, ErrNotEnoughReplicas) {
		t.Fatalf("acks=all after the shrink: %v", err)
	}
}

// TestLeaderChangeEndsWaits: a write waiting for its commit fails with
// NOT_LEADER_OR_FOLLOWER when leadership moves, and the new follower
// stops accepting writes.
func TestLeaderChangeEndsWaits(t *testing.T) {
	h := newHarness(t, 1)
	p := h.apply(metadata.Partition{Replicas: []int32{1, 2}, ISR: []int32{1, 2}, Leader: 1}, nil)
	res := mustAppend(t, p, 2, -1)
	errc := make(chan error, 1)
	go func() { errc <- p.WaitCommitted(t.Context(), res.LeaderEpoch, res.LastOffset+1) }()
	h.apply(metadata.Partition{Replicas: []int32{1, 2}, ISR: []int32{1, 2}, Leader: 2, LeaderEpoch: 1, PartitionEpoch: 1}, nil)
	select {
	case err := <-errc:
		if !errors.Is(err, ErrNotLeader) {
			t.Fatalf("wait after losing leadership: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("wait did not end")
	}
	if _, err := p.Append(batch(t, 1, "x"), 1); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("append as follower: %v", err)
	}
}

// TestImageMovesPendingChange: an AlterPartition answer that arrives after
// the image changed the partition is ignored; an image older than a
// committed answer is ignored too.
func TestImageMovesPendingChange(t *testing.T) {
	h := newHarness(t, 1, "replica.lag.time.max.ms=1000")
	p := h.apply(metadata.Partition{Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2, 3}, Leader: 1}, nil)
	mustAppend(t, p, 1, 1)
	h.clock.Advance(2 * time.Second)
	h.m.CheckISR()
	c := h.ctrl.next(t)
	if !slices.Equal(c.isr, []int32{1}) {
		t.Fatalf("proposal %v", c.isr)
	}
	// The controller removed 3 on its own (fenced broker) meanwhile.
	p = h.apply(metadata.Partition{Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2}, Leader: 1, PartitionEpoch: 1}, nil)
	c.reply <- alterReply{st: &metadata.Partition{ISR: []int32{1}, Leader: 1, PartitionEpoch: 1}}
	h.clock.Advance(time.Millisecond)
	// A new proposal is allowed (the old one is gone) and the stale answer
	// did not apply.
	h.m.CheckISR()
	c = h.ctrl.next(t)
	wantISR(t, p, 1, 2)
	if c.partitionEpoch != 1 || !slices.Equal(c.isr, []int32{1}) {
		t.Fatalf("second proposal %+v", c)
	}
	c.reply <- alterReply{st: &metadata.Partition{ISR: []int32{1}, Leader: 1, PartitionEpoch: 2}}
	testutilWait(t, "shrink committed", func() bool { return len(p.State().ISR) == 1 })
	// The image still at partition epoch 1 does not undo it.
	h.apply(metadata.Partition{Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2}, Leader: 1, PartitionEpoch: 1}, nil)
	wantISR(t, p, 1)
}

// TestRejectedExpansion: INELIGIBLE_REPLICA means the controller did not
// apply the change: the leader drops it at once (the HW stops waiting for
// that replica, which may be shutting down) and proposes again only after
// a backoff. Epoch errors leave the change pending until the image moves.
func TestRejectedExpansion(t *testing.T) {
	h := newHarness(t, 1, "replica.fetch.backoff.ms=1000")
	p := h.apply(metadata.Partition{Replicas: []int32{1, 2, 3}, ISR: []int32{1}, Leader: 1}, nil)
	mustAppend(t, p, 4, 1)
	p.FollowerFetched(2, 4, 0, 102, 4)
	c := h.ctrl.next(t)
	mustAppend(t, p, 2, 1)
	wantHW(t, p, 4)                             // pending: 2 holds the HW
	h.im.Brokers[2].InControlledShutdown = true // what the controller saw
	c.reply <- alterReply{err: kerr.IneligibleReplica}
	testutilWait(t, "the HW to stop waiting for 2", func() bool { return p.Log.HighWatermark() == 6 })
	h.im.Brokers[2].InControlledShutdown = false
	p.FollowerFetched(2, 6, 0, 102, 6)
	h.ctrl.none(t) // backing off
	h.clock.Advance(1001 * time.Millisecond)
	p.FollowerFetched(2, 6, 0, 102, 6)
	c = h.ctrl.next(t)
	c.reply <- alterReply{err: kerr.FencedLeaderEpoch}
	h.clock.Advance(time.Hour)
	p.FollowerFetched(3, 6, 0, 103, 6)
	h.ctrl.none(t) // still pending, no retry
	// The image moves the partition on: proposals resume.
	h.apply(metadata.Partition{Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2}, Leader: 1, PartitionEpoch: 1}, nil)
	p.FollowerFetched(3, 6, 0, 103, 6)
	if c = h.ctrl.next(t); !slices.Equal(c.isr, []int32{1, 2, 3}) || c.partitionEpoch != 1 {
		t.Fatalf("proposal after the image moved: %+v", c)
	}
}

// TestShuttingDownBrokerNotEligible: a follower whose broker is in
// controlled shutdown or fenced may not join the ISR (Kafka's
// isReplicaIsrEligible).
func TestShuttingDownBrokerNotEligible(t *testing.T) {
	h := newHarness(t, 1)
	p := h.apply(metadata.Partition{Replicas: []int32{1, 2, 3}, ISR: []int32{1}, Leader: 1}, nil)
	h.im.Brokers[2].InControlledShutdown = true
	h.im.Brokers[3].Fenced = true
	mustAppend(t, p, 1, 1)
	p.FollowerFetched(2, 1, 0, 102, 1)
	p.FollowerFetched(3, 1, 0, 103, 1)
	h.ctrl.none(t)
}
