package metadata

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDecodePartitionRecordsOldVersions: versions 0 (logs written before
// reassignment) and 1 (before KIP-966's ELR) of PartitionRecord and
// PartitionChangeRecord still decode, with the later fields nil.
func TestDecodePartitionRecordsOldVersions(t *testing.T) {
	id := Uuid{1, 2, 3}
	cur := EncodeBatch([]Record{
		&PartitionRecord{TopicID: id, Partition: 0, Replicas: []int32{1, 2}, ISR: []int32{1}, Leader: 1, LeaderEpoch: 3, PartitionEpoch: 4},
		&PartitionChangeRecord{TopicID: id, Partition: 0, Leader: 2, ISR: []int32{2}},
	})
	recs, err := DecodeBatch(cur)
	if err != nil {
		t.Fatal(err)
	}
	// Version v lacks the trailing null arrays (one byte each) added after
	// it: two per version step.
	for v, drop := range []int{4, 2} {
		var old []byte
		old = append(old, batchVersion, 2)
		for _, r := range recs {
			body := r.appendBody(nil)
			body = body[:len(body)-drop]
			old = append(old, byte(r.Type()), byte(v), byte(len(body)))
			old = append(old, body...)
		}
		got, err := DecodeBatch(old)
		if err != nil {
			t.Fatalf("v%d: %v", v, err)
		}
		if d := cmp.Diff(recs, got); d != "" {
			t.Fatalf("v%d (-current +old):\n%s", v, d)
		}
	}
}

func TestApplyReassignment(t *testing.T) {
	id := Uuid{1}
	base, err := NewImage().Apply(1, []Record{
		&TopicRecord{Name: "a", ID: id},
		&PartitionRecord{TopicID: id, Partition: 0, Replicas: []int32{1}, ISR: []int32{1}, Leader: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	start := &PartitionChangeRecord{TopicID: id, Partition: 0, Leader: NoLeaderChange,
		Replicas: []int32{2, 1}, AddingReplicas: []int32{2}, RemovingReplicas: []int32{1}}
	done := &PartitionChangeRecord{TopicID: id, Partition: 0, Leader: 2, ISR: []int32{2},
		Replicas: []int32{2}, AddingReplicas: []int32{}, RemovingReplicas: []int32{}}
	tests := []struct {
		name    string
		recs    []Record
		wantErr bool
		want    *Partition
	}{
		{"start", []Record{start}, false, &Partition{Replicas: []int32{2, 1}, ISR: []int32{1}, Leader: 1, PartitionEpoch: 1,
			AddingReplicas: []int32{2}, RemovingReplicas: []int32{1}}},
		{"ISR change keeps the reassignment", []Record{start, &PartitionChangeRecord{TopicID: id, Partition: 0, Leader: NoLeaderChange, ISR: []int32{1, 2}}}, false,
			&Partition{Replicas: []int32{2, 1}, ISR: []int32{1, 2}, Leader: 1, PartitionEpoch: 2, AddingReplicas: []int32{2}, RemovingReplicas: []int32{1}}},
		{"empty lists clear", []Record{start, done}, false, &Partition{Replicas: []int32{2}, ISR: []int32{2}, Leader: 2, LeaderEpoch: 1, PartitionEpoch: 2}},
		{"adding not a replica", []Record{&PartitionChangeRecord{TopicID: id, Partition: 0, Leader: NoLeaderChange, AddingReplicas: []int32{3}}}, true, nil},
		{"removing not a replica", []Record{&PartitionChangeRecord{TopicID: id, Partition: 0, Leader: NoLeaderChange, RemovingReplicas: []int32{3}}}, true, nil},
		{"adding and removing", []Record{&PartitionChangeRecord{TopicID: id, Partition: 0, Leader: NoLeaderChange,
			Replicas: []int32{1, 2}, AddingReplicas: []int32{2}, RemovingReplicas: []int32{2}}}, true, nil},
		{"partition record checked too", []Record{&PartitionRecord{TopicID: id, Partition: 0, Replicas: []int32{1}, ISR: []int32{1}, Leader: 1,
			AddingReplicas: []int32{2}}}, true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			im, err := base.Apply(2, tc.recs)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if d := cmp.Diff(tc.want, im.Topics["a"].Partitions[0]); d != "" {
				t.Fatalf("(-want +got):\n%s", d)
			}
			// A snapshot of the image rebuilds it exactly.
			again, err := NewImage().Apply(2, im.Records())
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(im.Topics["a"].Partitions[0], again.Topics["a"].Partitions[0]); d != "" {
				t.Fatalf("snapshot (-image +rebuilt):\n%s", d)
			}
		})
	}
}
