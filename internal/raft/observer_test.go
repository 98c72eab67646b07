package raft

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/strom-project/strom/internal/testutil"
)

// An observer (a broker-only node) becomes a learner of the quorum without
// an operator step, gets every entry, never votes or leads, follows a new
// leader, and can be removed and join again.
func TestQuorumObserver(t *testing.T) {
	c := newCluster(t, clusterOptions{Voters: 3, Observers: 1})
	obs := c.nodes[3]
	l := c.waitLeader()
	waitReady(t, obs.n)
	proposeN(t, c.nodes[l].n, 0, 10)
	c.waitSame(want(0, 10))
	waitLearners(t, c.nodes[l].n, []int32{obs.id})
	if obs.n.IsActive() {
		t.Fatal("observer is active")
	}
	if _, err := obs.n.Propose(context.Background(), []byte("x")); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("propose on the observer: %v, want ErrNotLeader", err)
	}

	// Leader crash: the other two voters elect (the observer does not
	// count) and the observer follows the new leader.
	c.crash(l)
	l2 := c.waitLeader()
	proposeN(t, c.nodes[l2].n, 10, 20)
	c.waitSame(want(0, 20))
	c.start(l)
	c.waitSame(want(0, 20))

	// An observer that went away can be removed; when it comes back it
	// is a learner again and catches up.
	l2 = c.waitLeader()
	c.stop(3)
	testutil.WaitFor(t, testWait, func() error {
		return c.nodes[l2].n.RemoveLearner(context.Background(), obs.id)
	})
	waitLearners(t, c.nodes[l2].n, nil)
	if err := c.nodes[l2].n.RemoveLearner(context.Background(), obs.id); !errors.Is(err, ErrNotLearner) {
		t.Fatalf("removing it twice: %v, want ErrNotLearner", err)
	}
	if err := c.nodes[l2].n.RemoveLearner(context.Background(), c.nodes[(l2+1)%3].id); !errors.Is(err, ErrNotLearner) {
		t.Fatalf("removing a voter: %v, want ErrNotLearner", err)
	}
	proposeN(t, c.nodes[l2].n, 20, 25)
	c.start(3)
	c.waitSame(want(0, 25))
	waitLearners(t, c.nodes[l2].n, []int32{obs.id})
}

// An observer that starts after the leader compacted its log gets the
// snapshot.
func TestQuorumObserverSnapshot(t *testing.T) {
	c := newCluster(t, clusterOptions{Voters: 3, Observers: 1, SnapshotEvery: 4})
	c.stop(3)
	l := c.waitLeader()
	proposeN(t, c.nodes[l].n, 0, 30)
	c.start(3)
	c.waitSame(want(0, 30))
	if r := c.nodes[3].sm.restored(); len(r) < 2 {
		t.Fatalf("observer restored %v, want the bootstrap then the leader's snapshot", r)
	}
}

// waitLearners waits until n reports exactly ids as observers.
func waitLearners(t *testing.T, n *Node, ids []int32) {
	t.Helper()
	testutil.WaitFor(t, testWait, func() error {
		st, err := n.Status(context.Background())
		if err != nil {
			return err
		}
		var got []int32
		for _, o := range st.Observers {
			got = append(got, o.ID)
		}
		if !slices.Equal(got, ids) {
			return fmt.Errorf("observers %v, want %v", got, ids)
		}
		return nil
	})
}
