package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/strom-project/strom/internal/testutil"
)

// UnregisterBroker removes a registration: the broker leaves every ISR and
// leadership at once, partitions keep it as a replica, its heartbeats are
// refused until it registers again, and an unknown id is an error.
func TestUnregisterBroker(t *testing.T) {
	f := newFixture(t, 3, nil, nil)
	f.create(CreateTopic{Name: "t", NumPartitions: 3, ReplicationFactor: 3})
	if err := f.c.UnregisterBroker(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	if b := f.broker(2); b != nil {
		t.Fatalf("still registered: %+v", b)
	}
	for _, p := range f.c.Image().Topics["t"].Partitions {
		if p.Leader == 2 || slices.Contains(p.ISR, 2) || !slices.Contains(p.Replicas, 2) {
			t.Fatalf("partition %+v: want 2 out of leader and ISR, still a replica", p)
		}
		if p.Leader < 0 {
			t.Fatalf("partition %d went offline", p.Partition)
		}
	}
	if _, err := f.c.BrokerHeartbeat(context.Background(), BrokerHeartbeat{ID: 2, Epoch: f.epochs[2]}); !errors.Is(err, ErrBrokerNotRegistered) && !errors.Is(err, ErrStaleBrokerEpoch) {
		t.Fatalf("heartbeat after unregister: %v", err)
	}
	if err := f.c.UnregisterBroker(context.Background(), 2); !errors.Is(err, ErrBrokerNotRegistered) {
		t.Fatalf("unregister twice: %v, want ErrBrokerNotRegistered", err)
	}
	// The same process registers again (its incarnation is unknown now).
	epoch, err := f.c.RegisterBroker(context.Background(), BrokerRegistration{ID: 2, IncarnationID: f.incs[2]})
	if err != nil || epoch <= f.epochs[2] {
		t.Fatalf("register again: epoch %d (was %d), %v", epoch, f.epochs[2], err)
	}
	if b := f.broker(2); b == nil || !b.Fenced {
		t.Fatalf("re-registered: %+v", b)
	}
}

// An unregistered broker leaves the ELRs too: it can no longer be a safe
// leader.
func TestUnregisterBrokerLeavesELR(t *testing.T) {
	f := newFixture(t, 3, nil, nil)
	f.create(CreateTopic{Name: "t", NumPartitions: 1, ReplicationFactor: 3, Configs: map[string]string{"min.insync.replicas": "3"}})
	// Fence 3 (it was in the ISR of a partition at min ISR 3): it goes
	// to the ELR.
	f.advance(DefaultBrokerSessionTimeout - time.Second)
	f.hb(1, BrokerHeartbeat{})
	f.hb(2, BrokerHeartbeat{})
	f.advance(time.Second + time.Millisecond)
	testutil.WaitFor(t, 10*time.Second, func() error {
		if p := f.p("t", 0); !slices.Contains(p.ELR, 3) {
			return fmt.Errorf("broker 3 not in the ELR yet: %+v", p)
		}
		return nil
	})
	if err := f.c.UnregisterBroker(context.Background(), 3); err != nil {
		t.Fatal(err)
	}
	if p := f.p("t", 0); slices.Contains(p.ELR, 3) || slices.Contains(p.ISR, 3) {
		t.Fatalf("unregistered broker still in %+v", p)
	}
}
