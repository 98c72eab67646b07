package metadata

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDecodeBatch: decoding arbitrary bytes never panics; what decodes
// re-encodes to bytes that decode to the same records; applying it to an
// image never panics and never mutates the input image.
func FuzzDecodeBatch(f *testing.F) {
	f.Add(EncodeBatch(sampleRecords()))
	f.Add(EncodeBatch(nil))
	f.Add([]byte{1, 1, byte(TopicRecordType), 0, 19})
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := DecodeBatch(data)
		if err != nil {
			return
		}
		again, err := DecodeBatch(EncodeBatch(recs))
		if err != nil {
			t.Fatalf("re-encoded batch does not decode: %v", err)
		}
		if d := cmp.Diff(recs, again); d != "" {
			t.Fatalf("re-encode changed records:\n%s", d)
		}
		base, err := NewImage().Apply(1, sampleRecords()[:8])
		if err != nil {
			t.Fatal(err)
		}
		snap := EncodeBatch(base.Records())
		next, err := base.Apply(2, recs)
		if err == nil {
			if _, err := NewImage().Apply(3, next.Records()); err != nil {
				t.Fatalf("snapshot of an applied image does not apply: %v", err)
			}
		}
		if d := cmp.Diff(snap, EncodeBatch(base.Records())); d != "" {
			t.Fatal("Apply mutated its input image")
		}
	})
}

// TestWriteFuzzSeeds writes the seed corpus files for the records added with
// broker fencing (the older seeds stay as they are: they keep version-0
// encodings covered):
// STROM_WRITE_SEEDS=1 go test -run TestWriteFuzzSeeds ./internal/metadata/
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("STROM_WRITE_SEEDS") == "" {
		t.Skip("set STROM_WRITE_SEEDS=1 to regenerate")
	}
	seeds := map[string][]Record{
		"register-broker-v1":            {&RegisterBrokerRecord{ID: 3, IncarnationID: Uuid{3, 3}, Rack: str("r2"), Fenced: true}},
		"register-broker-v1-controlled": {&RegisterBrokerRecord{ID: 4, Epoch: 9, IncarnationID: Uuid{4}, Endpoints: []Endpoint{}, InControlledShutdown: true}},
		"fence-broker":                  {&FenceBrokerRecord{ID: 2, Epoch: 1}},
		"unregister-broker":             {&UnregisterBrokerRecord{ID: 2, Epoch: 1}},
		"unfence-broker":                {&UnfenceBrokerRecord{ID: 2, Epoch: 1}},
		"broker-registration-change":    {&BrokerRegistrationChangeRecord{ID: 1, Epoch: 7, Fenced: BrokerUnfence, InControlledShutdown: 1}},
		"partition-v2-elr": {&PartitionRecord{TopicID: Uuid{1}, Partition: 0, Replicas: []int32{1, 2, 3}, ISR: []int32{}, Leader: -1,
			LeaderEpoch: 4, PartitionEpoch: 9, ELR: []int32{1, 2}, LastKnownELR: []int32{2}}},
		"partition-change-v2-elr": {&PartitionChangeRecord{TopicID: Uuid{1}, Partition: 0, Leader: 1, ISR: []int32{1},
			ELR: []int32{2}, LastKnownELR: []int32{}}},
		"partition-change-v2-empty-isr": {&PartitionChangeRecord{TopicID: Uuid{1}, Partition: 0, Leader: -1, ISR: []int32{},
			ELR: []int32{1, 3}, LastKnownELR: []int32{1}}},
		"all-records-v2": sampleRecords(),
		"scram-credential": {&UserScramCredentialRecord{Name: "alice", Mechanism: ScramSHA256, Salt: []byte("s"),
			StoredKey: []byte{1}, ServerKey: []byte{2}, Iterations: 4096}},
		"acl": {&AccessControlEntryRecord{ID: Uuid{7}, ACL: ACL{ResourceType: 2, ResourceName: "t", PatternType: 3,
			Principal: "User:*", Host: "*", Operation: 3, PermissionType: 2}}, &RemoveAccessControlEntryRecord{ID: Uuid{7}}},
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecodeBatch")
	for name, recs := range seeds {
		content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", EncodeBatch(recs))
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
