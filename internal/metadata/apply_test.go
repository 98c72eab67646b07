package metadata

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestApply(t *testing.T) {
	id, id2 := Uuid{1}, Uuid{2}
	base, err := NewImage().Apply(5, []Record{
		&ClusterIDRecord{ClusterID: "c"},
		&RegisterBrokerRecord{ID: 1, Epoch: 1},
		&TopicRecord{Name: "a", ID: id},
		&PartitionRecord{TopicID: id, Partition: 0, Replicas: []int32{1, 2}, ISR: []int32{1, 2}, Leader: 1},
		&ConfigRecord{ResourceType: TopicResource, ResourceName: "a", Name: "retention.ms", Value: str("1")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if base.Offset != 5 || base.Topics["a"] != base.TopicsByID[id] || len(base.Topics["a"].Partitions) != 1 {
		t.Fatalf("base image %+v", base)
	}
	tests := []struct {
		name    string
		recs    []Record
		wantErr bool
		check   func(t *testing.T, im *Image)
	}{
		{"add partition", []Record{&PartitionRecord{TopicID: id, Partition: 1, Replicas: []int32{1}, ISR: []int32{1}, Leader: 1}}, false,
			func(t *testing.T, im *Image) {
				if len(im.Topics["a"].Partitions) != 2 || im.TopicsByID[id] != im.Topics["a"] {
					t.Fatal("partition not added to both maps")
				}
			}},
		{"partition gap", []Record{&PartitionRecord{TopicID: id, Partition: 2, Replicas: []int32{1}}}, true, nil},
		{"partition of unknown topic", []Record{&PartitionRecord{TopicID: id2, Partition: 0, Replicas: []int32{1}}}, true, nil},
		{"leader change bumps epochs", []Record{&PartitionChangeRecord{TopicID: id, Partition: 0, Leader: 2, ISR: []int32{2}}}, false,
			func(t *testing.T, im *Image) {
				p := im.Topics["a"].Partitions[0]
				if p.Leader != 2 || p.LeaderEpoch != 1 || p.PartitionEpoch != 1 || !cmp.Equal(p.ISR, []int32{2}) || !cmp.Equal(p.Replicas, []int32{1, 2}) {
					t.Fatalf("partition %+v", p)
				}
			}},
		{"isr change keeps leader epoch", []Record{&PartitionChangeRecord{TopicID: id, Partition: 0, Leader: NoLeaderChange, ISR: []int32{1}}}, false,
			func(t *testing.T, im *Image) {
				p := im.Topics["a"].Partitions[0]
				if p.Leader != 1 || p.LeaderEpoch != 0 || p.PartitionEpoch != 1 {
					t.Fatalf("partition %+v", p)
				}
			}},
		{"change of missing partition", []Record{&PartitionChangeRecord{TopicID: id, Partition: 1, Leader: 1}}, true, nil},
		{"duplicate topic name", []Record{&TopicRecord{Name: "a", ID: id2}}, true, nil},
		{"duplicate topic id", []Record{&TopicRecord{Name: "b", ID: id}}, true, nil},
		{"zero topic id", []Record{&TopicRecord{Name: "b"}}, true, nil},
		{"remove topic drops configs", []Record{&RemoveTopicRecord{ID: id}}, false,
			func(t *testing.T, im *Image) {
				if len(im.Topics) != 0 || len(im.TopicsByID) != 0 || len(im.Configs) != 0 {
					t.Fatalf("left %v %v", im.Topics, im.Configs)
				}
			}},
		{"remove unknown topic", []Record{&RemoveTopicRecord{ID: id2}}, true, nil},
		{"config delete", []Record{&ConfigRecord{ResourceType: TopicResource, ResourceName: "a", Name: "retention.ms"}}, false,
			func(t *testing.T, im *Image) {
				if _, ok := im.TopicConfig("a", "retention.ms"); ok || len(im.Configs) != 0 {
					t.Fatal("config not deleted")
				}
			}},
		{"producer ids grow", []Record{&ProducerIdsRecord{BrokerID: 1, NextProducerID: 1000}}, false,
			func(t *testing.T, im *Image) {
				if im.NextProducerID != 1000 {
					t.Fatal(im.NextProducerID)
				}
			}},
		{"producer ids must grow", []Record{&ProducerIdsRecord{BrokerID: 1, NextProducerID: 0}}, true, nil},
		{"cluster id cannot change", []Record{&ClusterIDRecord{ClusterID: "other"}}, true, nil},
		{"batch is atomic", []Record{&TopicRecord{Name: "b", ID: id2}, &RemoveTopicRecord{ID: Uuid{7}}}, true, nil},
		{"topic and partitions in one batch", []Record{&TopicRecord{Name: "b", ID: id2},
			&PartitionRecord{TopicID: id2, Partition: 0, Replicas: []int32{1}, ISR: []int32{1}, Leader: 1},
			&PartitionRecord{TopicID: id2, Partition: 1, Replicas: []int32{1}, ISR: []int32{1}, Leader: 1}}, false,
			func(t *testing.T, im *Image) {
				if len(im.Topics["b"].Partitions) != 2 || im.Topics["a"] != base.Topics["a"] {
					t.Fatal("new topic wrong or unchanged topic copied")
				}
			}},
	}
	before := EncodeBatch(base.Records())
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			next, err := base.Apply(6, tc.recs)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, ErrInvalidRecord) {
				t.Fatalf("error %v does not wrap ErrInvalidRecord", err)
			}
			if !cmp.Equal(before, EncodeBatch(base.Records())) {
				t.Fatal("Apply mutated the previous image")
			}
			if tc.check != nil {
				tc.check(t, next)
			}
			if next != nil {
				rebuilt, err := NewImage().Apply(6, next.Records())
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(next, rebuilt); d != "" {
					t.Fatalf("snapshot round trip (-want +got):\n%s", d)
				}
			}
		})
	}
}

func TestUuid(t *testing.T) {
	for range 100 {
		u := RandomUuid()
		if u == (Uuid{}) || u.String()[0] == '-' || len(u.String()) != 22 {
			t.Fatalf("bad id %v", u)
		}
		back, err := ParseUuid(u.String())
		if err != nil || back != u {
			t.Fatalf("parse %s: %v %v", u, back, err)
		}
	}
}
