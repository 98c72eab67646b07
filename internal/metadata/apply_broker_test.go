package metadata

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestApplyBrokers: registration epochs (0 = the entry's offset, always
// growing), fencing and controlled-shutdown changes checked against the
// current epoch, and snapshots that keep all of it.
func TestApplyBrokers(t *testing.T) {
	base, err := NewImage().Apply(10, []Record{
		&RegisterBrokerRecord{ID: 1, IncarnationID: Uuid{1}, Rack: str("a"), Fenced: true},
		&RegisterBrokerRecord{ID: 2, Epoch: 3},
	})
	if err != nil {
		t.Fatal(err)
	}
	if b := base.Brokers[1]; b.Epoch != 10 || !b.Fenced || b.IncarnationID != (Uuid{1}) || b.Active() {
		t.Fatalf("broker 1 %+v", b)
	}
	if b := base.Brokers[2]; b.Epoch != 3 || !b.Active() {
		t.Fatalf("broker 2 %+v", b)
	}
	tests := []struct {
		name    string
		recs    []Record
		wantErr bool
		check   func(t *testing.T, im *Image)
	}{
		{"unfence", []Record{&UnfenceBrokerRecord{ID: 1, Epoch: 10}}, false, func(t *testing.T, im *Image) {
			if b := im.Brokers[1]; b.Fenced || !b.Active() || *b.Rack != "a" {
				t.Fatalf("%+v", b)
			}
		}},
		{"fence", []Record{&FenceBrokerRecord{ID: 2, Epoch: 3}}, false, func(t *testing.T, im *Image) {
			if !im.Brokers[2].Fenced {
				t.Fatal("not fenced")
			}
		}},
		{"controlled shutdown", []Record{&BrokerRegistrationChangeRecord{ID: 2, Epoch: 3, InControlledShutdown: 1}}, false,
			func(t *testing.T, im *Image) {
				if b := im.Brokers[2]; !b.InControlledShutdown || b.Fenced || b.Active() {
					t.Fatalf("%+v", b)
				}
			}},
		{"change fences and unfences", []Record{
			&BrokerRegistrationChangeRecord{ID: 2, Epoch: 3, Fenced: BrokerFence},
			&BrokerRegistrationChangeRecord{ID: 1, Epoch: 10, Fenced: BrokerUnfence}}, false,
			func(t *testing.T, im *Image) {
				if !im.Brokers[2].Fenced || im.Brokers[1].Fenced {
					t.Fatal("fencing not applied")
				}
			}},
		{"re-register gets the new offset", []Record{&RegisterBrokerRecord{ID: 2, IncarnationID: Uuid{2}, Fenced: true}}, false,
			func(t *testing.T, im *Image) {
				if b := im.Brokers[2]; b.Epoch != 11 || !b.Fenced || b.IncarnationID != (Uuid{2}) {
					t.Fatalf("%+v", b)
				}
			}},
		{"unregister", []Record{&UnregisterBrokerRecord{ID: 2, Epoch: 3}}, false, func(t *testing.T, im *Image) {
			if b, ok := im.Brokers[2]; ok || im.Brokers[1] == nil {
				t.Fatalf("broker 2 still registered (%+v) or broker 1 gone", b)
			}
		}},
		{"unregister with stale epoch", []Record{&UnregisterBrokerRecord{ID: 2, Epoch: 2}}, true, nil},
		{"unregister unknown broker", []Record{&UnregisterBrokerRecord{ID: 7, Epoch: 1}}, true, nil},
		{"epoch must grow", []Record{&RegisterBrokerRecord{ID: 1, Epoch: 10}}, true, nil},
		{"negative broker id", []Record{&RegisterBrokerRecord{ID: -1, Epoch: 10}}, true, nil},
		{"fence with stale epoch", []Record{&FenceBrokerRecord{ID: 2, Epoch: 2}}, true, nil},
		{"unfence unknown broker", []Record{&UnfenceBrokerRecord{ID: 7, Epoch: 1}}, true, nil},
		{"bad fencing value", []Record{&BrokerRegistrationChangeRecord{ID: 2, Epoch: 3, Fenced: 2}}, true, nil},
		{"bad shutdown value", []Record{&BrokerRegistrationChangeRecord{ID: 2, Epoch: 3, InControlledShutdown: -1}}, true, nil},
	}
	before := EncodeBatch(base.Records())
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			next, err := base.Apply(11, tc.recs)
			if (err != nil) != tc.wantErr || (err != nil && !errors.Is(err, ErrInvalidRecord)) {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if !cmp.Equal(before, EncodeBatch(base.Records())) {
				t.Fatal("Apply mutated the previous image")
			}
			if next == nil {
				return
			}
			tc.check(t, next)
			rebuilt, err := NewImage().Apply(99, next.Records())
			if err != nil {
				t.Fatal(err)
			}
			rebuilt.Offset = next.Offset
			if d := cmp.Diff(next, rebuilt); d != "" {
				t.Fatalf("snapshot round trip (-want +got):\n%s", d)
			}
		})
	}
}

func TestPartitionWithChange(t *testing.T) {
	p := &Partition{Partition: 0, Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2}, Leader: 1, LeaderEpoch: 4, PartitionEpoch: 7}
	tests := []struct {
		name   string
		change PartitionChangeRecord
		want   Partition
	}{
		{"isr only", PartitionChangeRecord{Leader: NoLeaderChange, ISR: []int32{1}},
			Partition{Replicas: []int32{1, 2, 3}, ISR: []int32{1}, Leader: 1, LeaderEpoch: 4, PartitionEpoch: 8}},
		{"same leader is no leader change", PartitionChangeRecord{Leader: 1},
			Partition{Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2}, Leader: 1, LeaderEpoch: 4, PartitionEpoch: 8}},
		{"new leader", PartitionChangeRecord{Leader: 2, ISR: []int32{2}},
			Partition{Replicas: []int32{1, 2, 3}, ISR: []int32{2}, Leader: 2, LeaderEpoch: 5, PartitionEpoch: 8}},
		{"offline", PartitionChangeRecord{Leader: -1},
			Partition{Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2}, Leader: -1, LeaderEpoch: 5, PartitionEpoch: 8}},
		{"replicas", PartitionChangeRecord{Leader: NoLeaderChange, Replicas: []int32{3, 1, 2}},
			Partition{Replicas: []int32{3, 1, 2}, ISR: []int32{1, 2}, Leader: 1, LeaderEpoch: 4, PartitionEpoch: 8}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := p.WithChange(&tc.change)
			if d := cmp.Diff(&tc.want, got); d != "" {
				t.Fatalf("(-want +got):\n%s", d)
			}
			if p.LeaderEpoch != 4 || p.PartitionEpoch != 7 || len(p.ISR) != 2 {
				t.Fatal("WithChange mutated its receiver")
			}
		})
	}
}
