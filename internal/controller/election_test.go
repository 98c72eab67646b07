package controller

import (
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/strom-project/strom/internal/metadata"
)

// brokerImage builds an image whose brokers have the given states:
// 'a' active, 'f' fenced, 's' in controlled shutdown (unfenced). Brokers
// not named are not registered.
func brokerImage(t *testing.T, states map[int32]byte) *metadata.Image {
	t.Helper()
	var recs []metadata.Record
	for _, id := range slices.Sorted(maps.Keys(states)) {
		st := states[id]
		recs = append(recs, &metadata.RegisterBrokerRecord{ID: id, Epoch: 1, Fenced: st == 'f'})
		if st == 's' {
			recs = append(recs, &metadata.BrokerRegistrationChangeRecord{ID: id, Epoch: 1, InControlledShutdown: 1})
		}
	}
	im, err := metadata.NewImage().Apply(1, recs)
	if err != nil {
		t.Fatal(err)
	}
	return im
}

func part(replicas, isr []int32, leader int32) *metadata.Partition {
	return &metadata.Partition{Replicas: replicas, ISR: isr, Leader: leader, LeaderEpoch: 5, PartitionEpoch: 9}
}

// outcome is what a rule does to a partition: no change, an error, or the
// new leader and ISR.
type outcome struct {
	none   bool
	err    error
	leader int32
	isr    []int32
}

func noChange() outcome                     { return outcome{none: true} }
func fails(err error) outcome               { return outcome{err: err} }
func to(leader int32, isr ...int32) outcome { return outcome{leader: leader, isr: isr} }

func ruleOK(r *metadata.PartitionChangeRecord) (*metadata.PartitionChangeRecord, error) {
	return r, nil
}

func checkOutcome(t *testing.T, p *metadata.Partition, rec *metadata.PartitionChangeRecord, err error, want outcome) {
	t.Helper()
	switch {
	case want.err != nil:
		if !errors.Is(err, want.err) {
			t.Fatalf("err %v, want %v", err, want.err)
		}
		return
	case err != nil:
		t.Fatalf("unexpected error %v", err)
	case want.none:
		if rec != nil {
			t.Fatalf("change %+v, want none", rec)
		}
		return
	case rec == nil:
		t.Fatalf("no change, want leader %d isr %v", want.leader, want.isr)
	}
	got := p.WithChange(rec)
	if got.Leader != want.leader || !slices.Equal(got.ISR, want.isr) {
		t.Fatalf("leader %d isr %v, want leader %d isr %v", got.Leader, got.ISR, want.leader, want.isr)
	}
	if wantEpoch := p.LeaderEpoch + map[bool]int32{true: 1}[want.leader != p.Leader]; got.LeaderEpoch != wantEpoch {
		t.Fatalf("leader epoch %d, want %d", got.LeaderEpoch, wantEpoch)
	}
	if got.PartitionEpoch != p.PartitionEpoch+1 {
		t.Fatalf("partition epoch %d", got.PartitionEpoch)
	}
	if got.Leader != -1 && !slices.Contains(got.ISR, got.Leader) {
		t.Fatalf("leader %d not in ISR %v", got.Leader, got.ISR)
	}
}

func TestElectionRules(t *testing.T) {
	r123 := []int32{1, 2, 3}
	tests := []struct {
		name    string
		brokers map[int32]byte
		p       *metadata.Partition
		rule    func(im *metadata.Image, p *metadata.Partition) (*metadata.PartitionChangeRecord, error)
		want    outcome
	}{
		// Broker 1 fenced (the image already shows it).
		{"fenced leader: next ISR member in replica order leads", map[int32]byte{1: 'f', 2: 'a', 3: 'a'},
			part(r123, []int32{3, 1, 2}, 1), fence(1, false), to(2, 3, 2)},
		{"fenced leader: replica order, not ISR order", map[int32]byte{1: 'f', 2: 'a', 3: 'a'},
			part([]int32{3, 2, 1}, r123, 1), fence(1, false), to(3, 2, 3)},
		{"fenced follower leaves the ISR", map[int32]byte{1: 'a', 2: 'f', 3: 'a'},
			part(r123, r123, 1), fence(2, false), to(1, 1, 3)},
		{"uninvolved broker", map[int32]byte{1: 'a', 2: 'a', 3: 'a', 4: 'f'},
			part(r123, r123, 1), fence(4, false), noChange()},
		{"fenced follower outside the ISR", map[int32]byte{1: 'a', 2: 'a', 3: 'f'},
			part(r123, []int32{1, 2}, 1), fence(3, false), noChange()},
		{"last ISR member leaves too: ISR empty, partition offline", map[int32]byte{1: 'f', 2: 'a', 3: 'a'},
			part(r123, []int32{1}, 1), fence(1, false), to(-1)},
		{"last ISR member, unclean: first live replica, ISR shrinks to it", map[int32]byte{1: 'f', 2: 'f', 3: 'a'},
			part(r123, []int32{1}, 1), fence(1, true), to(3, 3)},
		{"last ISR member, unclean, nobody live", map[int32]byte{1: 'f', 2: 'f'},
			part([]int32{1, 2}, []int32{1}, 1), fence(1, true), to(-1)},
		{"remaining ISR ineligible: offline with the rest of the ISR", map[int32]byte{1: 'f', 2: 'a', 3: 's'},
			part(r123, []int32{1, 3}, 1), fence(1, false), to(-1, 3)},
		{"remaining ISR ineligible, unclean", map[int32]byte{1: 'f', 2: 'a', 3: 's'},
			part(r123, []int32{1, 3}, 1), fence(1, true), to(2, 2)},
		{"offline partition loses a member and elects another", map[int32]byte{1: 'a', 2: 'f', 3: 'a'},
			part(r123, []int32{2, 3}, -1), fence(2, false), to(3, 3)},
		{"unregistered replica never leads", map[int32]byte{1: 'f', 3: 'a'},
			part(r123, []int32{1, 2, 3}, 1), fence(1, false), to(3, 2, 3)},

		// Broker 1 in controlled shutdown.
		{"shutdown: leadership moves, broker leaves the ISR", map[int32]byte{1: 's', 2: 'a', 3: 'a'},
			part(r123, r123, 1), shutdown(1), to(2, 2, 3)},
		{"shutdown: sole ISR member keeps leading", map[int32]byte{1: 's', 2: 'a', 3: 'a'},
			part(r123, []int32{1}, 1), shutdown(1), noChange()},
		{"shutdown: nobody eligible keeps leading", map[int32]byte{1: 's', 2: 'f', 3: 's'},
			part(r123, r123, 1), shutdown(1), noChange()},
		{"shutdown: follower leaves the ISR", map[int32]byte{1: 's', 2: 'a', 3: 'a'},
			part(r123, r123, 2), shutdown(1), to(2, 2, 3)},
		{"shutdown: last member of an offline partition stays", map[int32]byte{1: 's', 2: 'a'},
			part([]int32{1, 2}, []int32{1}, -1), shutdown(1), noChange()},
		{"shutdown: uninvolved", map[int32]byte{1: 's', 2: 'a', 3: 'a'},
			part([]int32{2, 3}, []int32{2, 3}, 2), shutdown(1), noChange()},

		// Offline partitions after an unfence.
		{"offline: unfenced ISR member leads", map[int32]byte{1: 'a', 2: 'a'},
			part([]int32{2, 1}, []int32{1}, -1), offline(false), to(1, 1)},
		{"offline: ISR still fenced, clean", map[int32]byte{1: 'f', 2: 'a'},
			part([]int32{1, 2}, []int32{1}, -1), offline(false), noChange()},
		{"offline: ISR still fenced, unclean", map[int32]byte{1: 'f', 2: 'a'},
			part([]int32{1, 2}, []int32{1}, -1), offline(true), to(2, 2)},
		{"offline: has a leader", map[int32]byte{1: 'a', 2: 'a'},
			part([]int32{1, 2}, []int32{1, 2}, 1), offline(true), noChange()},

		// ElectLeaders, preferred.
		{"preferred: already leads", map[int32]byte{1: 'a', 2: 'a'},
			part([]int32{1, 2}, []int32{1, 2}, 1), preferred, fails(ErrElectionNotNeeded)},
		{"preferred: moves back", map[int32]byte{1: 'a', 2: 'a'},
			part([]int32{1, 2}, []int32{2, 1}, 2), preferred, to(1, 2, 1)},
		{"preferred: not in ISR", map[int32]byte{1: 'a', 2: 'a'},
			part([]int32{1, 2}, []int32{2}, 2), preferred, fails(ErrPreferredLeaderNotAvailable)},
		{"preferred: fenced", map[int32]byte{1: 'f', 2: 'a'},
			part([]int32{1, 2}, []int32{2, 1}, 2), preferred, fails(ErrPreferredLeaderNotAvailable)},
		{"preferred: shutting down", map[int32]byte{1: 's', 2: 'a'},
			part([]int32{1, 2}, []int32{2, 1}, 2), preferred, fails(ErrPreferredLeaderNotAvailable)},

		// ElectLeaders, unclean.
		{"unclean: live leader", map[int32]byte{1: 'a', 2: 'a'},
			part([]int32{1, 2}, []int32{1}, 1), uncleanRule, fails(ErrElectionNotNeeded)},
		{"unclean: clean choice first", map[int32]byte{1: 'f', 2: 'a', 3: 'a'},
			part(r123, []int32{3}, -1), uncleanRule, to(3, 3)},
		{"unclean: any live replica", map[int32]byte{1: 'f', 2: 'a', 3: 'a'},
			part(r123, []int32{1}, -1), uncleanRule, to(2, 2)},
		{"unclean: replaces an ineligible leader", map[int32]byte{1: 's', 2: 'a'},
			part([]int32{1, 2}, []int32{1}, 1), uncleanRule, to(2, 2)},
		{"unclean: nobody live", map[int32]byte{1: 'f', 2: 'f'},
			part([]int32{1, 2}, []int32{1}, -1), uncleanRule, fails(ErrEligibleLeadersNotAvailable)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			im := brokerImage(t, tc.brokers)
			before := *tc.p
			rec, err := tc.rule(im, tc.p)
			checkOutcome(t, tc.p, rec, err, tc.want)
			if !slices.Equal(before.ISR, tc.p.ISR) || before.Leader != tc.p.Leader {
				t.Fatal("rule mutated the partition")
			}
		})
	}
}

func fence(b int32, unclean bool) func(*metadata.Image, *metadata.Partition) (*metadata.PartitionChangeRecord, error) {
	return func(im *metadata.Image, p *metadata.Partition) (*metadata.PartitionChangeRecord, error) {
		return ruleOK(fenceChange(im, metadata.Uuid{1}, p, b, topicRules{unclean: unclean, minISR: 1}))
	}
}

func shutdown(b int32) func(*metadata.Image, *metadata.Partition) (*metadata.PartitionChangeRecord, error) {
	return func(im *metadata.Image, p *metadata.Partition) (*metadata.PartitionChangeRecord, error) {
		return ruleOK(shutdownChange(im, metadata.Uuid{1}, p, b, topicRules{minISR: 1}))
	}
}

func offline(unclean bool) func(*metadata.Image, *metadata.Partition) (*metadata.PartitionChangeRecord, error) {
	return func(im *metadata.Image, p *metadata.Partition) (*metadata.PartitionChangeRecord, error) {
		return ruleOK(offlineChange(im, metadata.Uuid{1}, p, topicRules{unclean: unclean, minISR: 1}))
	}
}

func preferred(im *metadata.Image, p *metadata.Partition) (*metadata.PartitionChangeRecord, error) {
	return preferredChange(im, metadata.Uuid{1}, p)
}

func uncleanRule(im *metadata.Image, p *metadata.Partition) (*metadata.PartitionChangeRecord, error) {
	return uncleanChange(im, metadata.Uuid{1}, p, topicRules{minISR: 1})
}
