package metadata

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDeltaMatchesSequentialApply: a Delta over several batches, one of
// which fails midway, builds the same image as applying them one by one.
func TestDeltaMatchesSequentialApply(t *testing.T) {
	id, id2 := Uuid{1}, Uuid{2}
	batches := [][]Record{
		{&ClusterIDRecord{ClusterID: "c"}, &TopicRecord{Name: "a", ID: id}},
		{&PartitionRecord{TopicID: id, Partition: 0, Replicas: []int32{1}, ISR: []int32{1}, Leader: 1}},
		// Fails at its second record, after creating topic b in the builder.
		{&TopicRecord{Name: "b", ID: id2}, &PartitionRecord{TopicID: id2, Partition: 5, Replicas: []int32{1}}},
		{&PartitionChangeRecord{TopicID: id, Partition: 0, Leader: -1, ISR: []int32{}}},
		{&ConfigRecord{ResourceType: TopicResource, ResourceName: "a", Name: "k", Value: str("v")}},
	}
	seq := NewImage()
	d := NewImage().NewDelta()
	for i, b := range batches {
		next, seqErr := seq.Apply(uint64(i+1), b)
		if seqErr == nil {
			seq = next
		}
		err := d.Apply(uint64(i+1), b)
		if (err == nil) != (seqErr == nil) || (err != nil && !errors.Is(err, ErrInvalidRecord)) {
			t.Fatalf("batch %d: delta err %v, sequential err %v", i, err, seqErr)
		}
		if i == 1 {
			mid := d.Image() // publishing midway must not disturb what follows
			if mid.Topics["a"] == nil || len(mid.Topics["a"].Partitions) != 1 {
				t.Fatal("mid image wrong")
			}
		}
	}
	got := d.Image()
	if got.Topics["b"] != nil {
		t.Fatal("failed batch left topic b")
	}
	if d := cmp.Diff(seq, got); d != "" {
		t.Fatalf("delta differs from sequential apply (-seq +delta):\n%s", d)
	}
	if d.Changed() || d.Image() != got {
		t.Fatal("Image with nothing new should return the last image")
	}
}
