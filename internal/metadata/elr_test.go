package metadata

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestApplyELR: PartitionChangeRecord's ELR and LastKnownELR follow the
// reassignment fields' rule (nil unchanged, empty cleared), an empty ISR
// empties the ISR, and a snapshot of the result rebuilds it.
func TestApplyELR(t *testing.T) {
	id := Uuid{7}
	base, err := NewImage().Apply(1, []Record{
		&TopicRecord{Name: "a", ID: id},
		&PartitionRecord{TopicID: id, Partition: 0, Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2, 3}, Leader: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		rec  *PartitionChangeRecord
		want Partition
	}{
		{"shrink below min ISR", &PartitionChangeRecord{Leader: NoLeaderChange, ISR: []int32{1}, ELR: []int32{2, 3}},
			Partition{ISR: []int32{1}, Leader: 1, PartitionEpoch: 1, ELR: []int32{2, 3}}},
		{"ELR untouched by nil", &PartitionChangeRecord{Leader: NoLeaderChange, ISR: []int32{1}},
			Partition{ISR: []int32{1}, Leader: 1, PartitionEpoch: 2, ELR: []int32{2, 3}}},
		{"ISR emptied", &PartitionChangeRecord{Leader: -1, ISR: []int32{}, ELR: []int32{1, 2, 3}, LastKnownELR: []int32{1}},
			Partition{Leader: -1, LeaderEpoch: 1, PartitionEpoch: 3, ELR: []int32{1, 2, 3}, LastKnownELR: []int32{1}}},
		{"elected from the ELR", &PartitionChangeRecord{Leader: 2, ISR: []int32{2}, ELR: []int32{1, 3}, LastKnownELR: []int32{}},
			Partition{ISR: []int32{2}, Leader: 2, LeaderEpoch: 2, PartitionEpoch: 4, ELR: []int32{1, 3}}},
		{"cleared", &PartitionChangeRecord{Leader: NoLeaderChange, ISR: []int32{2, 1}, ELR: []int32{}},
			Partition{ISR: []int32{2, 1}, Leader: 2, LeaderEpoch: 2, PartitionEpoch: 5}},
	}
	im := base
	for i, s := range steps {
		s.rec.TopicID = id
		next, err := im.Apply(uint64(i+2), []Record{s.rec})
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		s.want.Replicas = []int32{1, 2, 3}
		if d := cmp.Diff(&s.want, next.Topics["a"].Partitions[0]); d != "" {
			t.Fatalf("%s (-want +got):\n%s", s.name, d)
		}
		snap, err := DecodeBatch(EncodeBatch(next.Records()))
		if err != nil {
			t.Fatal(err)
		}
		again, err := NewImage().Apply(next.Offset, snap)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(next.Topics["a"].Partitions[0], again.Topics["a"].Partitions[0]); d != "" {
			t.Fatalf("%s: snapshot does not rebuild the partition (-applied +snapshot):\n%s", s.name, d)
		}
		im = next
	}
}
