package metadata

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func str(s string) *string { return &s }

// sampleRecords has one record of every type, with nil/empty edge cases.
func sampleRecords() []Record {
	id := Uuid{1, 2, 3}
	return []Record{
		&ClusterIDRecord{ClusterID: "MkU3OEVBNTcwNTJENDM2Qk"},
		&RegisterBrokerRecord{ID: 1, Epoch: 7, Rack: str("r1"), Endpoints: []Endpoint{{"PLAINTEXT", "PLAINTEXT", "localhost", 9092}}},
		&RegisterBrokerRecord{ID: 2, Epoch: 1, Fenced: true},
		&TopicRecord{Name: "orders", ID: id},
		&TopicRecord{Name: "__consumer_offsets", ID: Uuid{9}, Internal: true},
		&PartitionRecord{TopicID: id, Partition: 0, Replicas: []int32{1, 2}, ISR: []int32{1}, Leader: 1, LeaderEpoch: 3, PartitionEpoch: 4},
		&PartitionRecord{TopicID: Uuid{9}, Partition: 0, Replicas: []int32{2}, ISR: []int32{}, Leader: -1},
		&PartitionChangeRecord{TopicID: id, Partition: 0, Leader: 2, ISR: []int32{2}},
		&PartitionChangeRecord{TopicID: id, Partition: 0, Leader: NoLeaderChange, Replicas: []int32{2, 1}},
		&ConfigRecord{ResourceType: TopicResource, ResourceName: "orders", Name: "retention.ms", Value: str("1000")},
		&ConfigRecord{ResourceType: BrokerResource, ResourceName: "", Name: "x", Value: str("")},
		&ConfigRecord{ResourceType: TopicResource, ResourceName: "orders", Name: "segment.ms", Value: nil},
		&ProducerIdsRecord{BrokerID: 1, BrokerEpoch: 7, NextProducerID: 1000},
		&RemoveTopicRecord{ID: Uuid{9}},
		&RegisterBrokerRecord{ID: 3, IncarnationID: Uuid{3, 3}, Rack: str("r2"), Fenced: true},
		&RegisterBrokerRecord{ID: 4, Epoch: 9, IncarnationID: Uuid{4}, Endpoints: []Endpoint{}, InControlledShutdown: true},
		&UnfenceBrokerRecord{ID: 2, Epoch: 1},
		&FenceBrokerRecord{ID: 2, Epoch: 1},
		&UnregisterBrokerRecord{ID: 5, Epoch: 12},
		&BrokerRegistrationChangeRecord{ID: 1, Epoch: 7, Fenced: BrokerUnfence, InControlledShutdown: 1},
		&BrokerRegistrationChangeRecord{ID: 1, Epoch: 7, Fenced: BrokerFence},
		&PartitionRecord{TopicID: id, Partition: 1, Replicas: []int32{3, 1}, ISR: []int32{1}, Leader: 1,
			AddingReplicas: []int32{3}, RemovingReplicas: []int32{1}},
		&PartitionChangeRecord{TopicID: id, Partition: 1, Leader: 3, ISR: []int32{3}, Replicas: []int32{3},
			AddingReplicas: []int32{}, RemovingReplicas: []int32{}},
		&PartitionRecord{TopicID: id, Partition: 2, Replicas: []int32{1, 2, 3}, ISR: []int32{}, Leader: -1,
			ELR: []int32{2, 3}, LastKnownELR: []int32{3}},
		&PartitionChangeRecord{TopicID: id, Partition: 2, Leader: 2, ISR: []int32{2}, ELR: []int32{3}, LastKnownELR: []int32{}},
		&ClientQuotaRecord{Entity: []QuotaEntityData{{Type: QuotaUser, Name: str("alice")}, {Type: QuotaClientID}},
			Key: "producer_byte_rate", Value: 1048576},
		&ClientQuotaRecord{Entity: []QuotaEntityData{{Type: QuotaClientID, Name: str("")}}, Key: "request_percentage", Remove: true},
		&UserScramCredentialRecord{Name: "alice", Mechanism: ScramSHA512, Salt: []byte("salt"), StoredKey: []byte{1, 2},
			ServerKey: []byte{3}, Iterations: 8192},
		&RemoveUserScramCredentialRecord{Name: "alice", Mechanism: ScramSHA256},
		&AccessControlEntryRecord{ID: Uuid{7}, ACL: ACL{ResourceType: 2, ResourceName: "orders", PatternType: 4,
			Principal: "User:alice", Host: "*", Operation: 4, PermissionType: 3}},
		&RemoveAccessControlEntryRecord{ID: Uuid{7}},
	}
}

func TestBatchRoundTrip(t *testing.T) {
	for _, recs := range [][]Record{nil, sampleRecords()} {
		data := EncodeBatch(recs)
		got, err := DecodeBatch(data)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 && len(got) == 0 {
			continue
		}
		if d := cmp.Diff(recs, got); d != "" {
			t.Fatalf("round trip (-want +got):\n%s", d)
		}
	}
}

// TestDecodeRegisterBrokerV0: version 0 of RegisterBrokerRecord (logs
// written before incarnation ids) still decodes, with the new fields zero.
func TestDecodeRegisterBrokerV0(t *testing.T) {
	v0 := []byte("\x01\x01\x00\x00\x0f\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x01")
	got, err := DecodeBatch(v0)
	if err != nil {
		t.Fatal(err)
	}
	want := []Record{&RegisterBrokerRecord{ID: 2, Epoch: 1, Fenced: true}}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
}

func TestDecodeBatchRejects(t *testing.T) {
	good := EncodeBatch(sampleRecords())
	newer := EncodeBatch([]Record{&RemoveTopicRecord{ID: Uuid{1}}})
	newer[3] = 1 // record version 1 of a version-0 record
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"bad batch version", append([]byte{9}, good[1:]...)},
		{"truncated", good[:len(good)-1]},
		{"trailing", append(append([]byte{}, good...), 0)},
		{"huge count", []byte{1, 0xff, 0xff, 0xff, 0xff, 0x0f}},
		{"unknown type", []byte{1, 1, 50, 0, 0}},
		{"newer version", newer},
		{"body too long", []byte{1, 1, byte(RemoveTopicRecordType), 0, 17, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"huge array", []byte{1, 1, byte(PartitionRecordType), 0, 24, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x0f}},
		{"bad bool", []byte{1, 1, byte(TopicRecordType), 0, 19, 2, 'a', 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 7}},
		{"fence broker short", []byte{1, 1, byte(FenceBrokerRecordType), 0, 4, 0, 0, 0, 1}},
		{"unfence broker long", []byte{1, 1, byte(UnfenceBrokerRecordType), 0, 13, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0}},
		{"register broker v2", []byte{1, 1, byte(RegisterBrokerRecordType), 2, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := DecodeBatch(tc.data); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("got %v, want ErrCorrupt", err)
			}
		})
	}
}
