package raft

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/strom-project/strom/internal/testutil"
)

// Three voters elect one leader; its proposals apply in one order on all
// three; followers refuse proposals, are not active, and become ready.
func TestQuorumReplicates(t *testing.T) {
	c := newCluster(t, clusterOptions{Voters: 3})
	l := c.waitLeader()
	leader := c.nodes[l].n
	for i, nd := range c.nodes {
		waitReady(t, nd.n)
		if i == l {
			continue
		}
		if nd.n.IsActive() {
			t.Fatalf("follower %d is active", nd.id)
		}
		if _, err := nd.n.Propose(context.Background(), []byte("x")); !errors.Is(err, ErrNotLeader) {
			t.Fatalf("propose on follower %d: %v, want ErrNotLeader", nd.id, err)
		}
		if nd.n.Term() != leader.Term() {
			t.Fatalf("follower %d in term %d, leader in %d", nd.id, nd.n.Term(), leader.Term())
		}
	}
	// Concurrent proposers: the log decides one order for everybody.
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	for g := range 4 {
		wg.Go(func() {
			for i := range 10 {
				if _, err := leader.Propose(context.Background(), fmt.Appendf(nil, "g%d-%d", g, i)); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	got := c.nodes[l].sm.list()
	if len(got) != 41 || got[0] != "boot" {
		t.Fatalf("leader applied %d entries: %v", len(got), got)
	}
	c.waitSame(got)
}

// The leader goes away; the other two elect a new one and carry on; the
// old leader comes back from its directory and catches up.
func TestQuorumFailover(t *testing.T) {
	for _, how := range []string{"crash", "stop"} {
		t.Run(how, func(t *testing.T) {
			c := newCluster(t, clusterOptions{Voters: 3})
			l := c.waitLeader()
			term := c.nodes[l].n.Term()
			proposeN(t, c.nodes[l].n, 0, 10)
			if how == "crash" {
				c.crash(l)
			} else {
				c.stop(l)
				// Stop returns once another node leads: leadership was
				// handed over, not left to an election timeout.
				if !slices.ContainsFunc(c.nodes, func(nd *testNode) bool { return nd.n != nil && nd.n.Leader() == nd.id }) {
					t.Fatal("stopped leader did not hand over leadership")
				}
			}
			l2 := c.waitLeader()
			if l2 == l || c.nodes[l2].n.Term() <= term {
				t.Fatalf("new leader %d in term %d, old %d in term %d", l2, c.nodes[l2].n.Term(), l, term)
			}
			proposeN(t, c.nodes[l2].n, 10, 20)
			c.waitSame(want(0, 20))

			c.start(l)
			waitReady(t, c.nodes[l].n)
			if c.nodes[l].n.Applied() < c.nodes[l2].n.Applied() {
				// Ready means caught up as of the leader's answer, and
				// nothing was proposed since.
				t.Fatalf("restarted node ready at %d, leader at %d", c.nodes[l].n.Applied(), c.nodes[l2].n.Applied())
			}
			c.waitSame(want(0, 20))
			proposeN(t, c.nodes[l2].n, 20, 25)
			c.waitSame(want(0, 25))
			if c.nodes[l].n.IsActive() {
				t.Fatal("restarted old leader is active")
			}
		})
	}
}

// A follower is down while the leader snapshots and compacts; back up, it
// gets the snapshot over the wire, restores it and ends with the same state,
// which it keeps across another restart.
func TestQuorumSnapshotCatchUp(t *testing.T) {
	c := newCluster(t, clusterOptions{Voters: 3, SnapshotEvery: 4})
	l := c.waitLeader()
	f := (l + 1) % 3
	proposeN(t, c.nodes[l].n, 0, 5)
	c.waitSame(want(0, 5))
	c.stop(f)
	proposeN(t, c.nodes[l].n, 5, 40)
	lagging := c.nodes[l].n.Applied() // at least what f lacks
	c.start(f)
	testutil.WaitFor(t, testWait, func() error {
		if r := c.nodes[f].sm.restored(); len(r) < 2 {
			return fmt.Errorf("follower restored %v, want its own snapshot then the leader's", r)
		}
		return nil
	})
	if r := c.nodes[f].sm.restored(); r[1] <= r[0] || r[1] > lagging {
		t.Fatalf("follower restored at %v; leader applied %d", r, lagging)
	}
	c.waitSame(want(0, 40))
	proposeN(t, c.nodes[l].n, 40, 45)
	c.waitSame(want(0, 45))
	c.stop(f)
	c.start(f)
	c.waitSame(want(0, 45))
}

// A leader cut off from its quorum steps down (CheckQuorum) and its
// pending proposal fails promptly with ErrProposalDropped instead of
// hanging; IsActive turns false.
func TestQuorumLeaderLossFailsProposals(t *testing.T) {
	c := newCluster(t, clusterOptions{Voters: 3})
	l := c.waitLeader()
	leader := c.nodes[l].n
	proposeN(t, leader, 0, 3)
	for i := range c.nodes {
		if i != l {
			c.crash(i)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	if _, err := leader.Propose(ctx, []byte("orphan")); !errors.Is(err, ErrProposalDropped) {
		t.Fatalf("propose on a leader losing its quorum: %v, want ErrProposalDropped", err)
	}
	if leader.IsActive() {
		t.Fatal("leader without quorum still active")
	}
	if _, err := leader.Propose(ctx, []byte("late")); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("propose after losing leadership: %v, want ErrNotLeader", err)
	}
	for i := range c.nodes {
		if i != l {
			c.start(i)
		}
	}
	l2 := c.waitLeader()
	proposeN(t, c.nodes[l2].n, 3, 5)
	// "orphan" may or may not have committed: only agreement is certain.
	c.waitSame(c.nodes[l2].sm.list())
}

// TransferLeadership moves the active role to the chosen follower.
func TestQuorumTransferLeadership(t *testing.T) {
	c := newCluster(t, clusterOptions{Voters: 3})
	l := c.waitLeader()
	to := (l + 2) % 3
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	if err := c.nodes[to].n.TransferLeadership(ctx, c.nodes[l].id); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("transfer on a follower: %v, want ErrNotLeader", err)
	}
	if err := c.nodes[l].n.TransferLeadership(ctx, 99); err == nil {
		t.Fatal("transfer to a non-voter succeeded")
	}
	if err := c.nodes[l].n.TransferLeadership(ctx, c.nodes[to].id); err != nil {
		t.Fatal(err)
	}
	if c.waitLeader() != to {
		t.Fatalf("leader is not %d after the transfer", to)
	}
	if c.nodes[l].n.IsActive() {
		t.Fatal("old leader still active")
	}
	proposeN(t, c.nodes[to].n, 0, 5)
	c.waitSame(want(0, 5))
}

// A node that cannot reach a quorum is not ready and says so through ctx.
func TestQuorumWaitReadyNeedsLeader(t *testing.T) {
	c := newCluster(t, clusterOptions{Voters: 3})
	c.waitLeader()
	for i := range 3 {
		c.crash(i)
	}
	c.start(0)
	ctx, cancel := context.WithTimeout(context.Background(), 800*time.Millisecond)
	defer cancel()
	if err := c.nodes[0].n.WaitReady(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitReady alone: %v, want deadline exceeded", err)
	}
	c.start(1)
	waitReady(t, c.nodes[0].n)
	waitReady(t, c.nodes[1].n)
}
