package metadata

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func scramRec(user string, mech int8, iterations int32) *UserScramCredentialRecord {
	return &UserScramCredentialRecord{Name: user, Mechanism: mech, Salt: []byte("salt-" + user),
		StoredKey: []byte("stored"), ServerKey: []byte("server"), Iterations: iterations}
}

// TestApplySecurityRecords: credentials and ACLs are added, replaced and
// removed copy-on-write, and a snapshot (Records) rebuilds them, so a
// DENY survives a replay (CVE-2024-27309's lesson).
func TestApplySecurityRecords(t *testing.T) {
	deny := ACL{ResourceType: 2, ResourceName: "secret", PatternType: 3, Principal: "User:*", Host: "*", Operation: 2, PermissionType: 2}
	allow := ACL{ResourceType: 2, ResourceName: "pub", PatternType: 4, Principal: "User:alice", Host: "*", Operation: 3, PermissionType: 3}
	im, err := NewImage().Apply(1, []Record{
		scramRec("alice", ScramSHA256, 4096),
		scramRec("alice", ScramSHA512, 8192),
		scramRec("bob", ScramSHA512, 4096),
		&AccessControlEntryRecord{ID: Uuid{1}, ACL: deny},
		&AccessControlEntryRecord{ID: Uuid{2}, ACL: allow},
	})
	if err != nil {
		t.Fatal(err)
	}
	next, err := im.Apply(2, []Record{
		scramRec("alice", ScramSHA512, 16384), // replaces
		&RemoveUserScramCredentialRecord{Name: "bob", Mechanism: ScramSHA512},
		&RemoveAccessControlEntryRecord{ID: Uuid{2}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(im.ScramCredentials) != 3 || len(im.ACLs) != 2 {
		t.Fatalf("Apply mutated the previous image: %d credentials, %d ACLs", len(im.ScramCredentials), len(im.ACLs))
	}
	if c := next.ScramCredentials[ScramKey{"alice", ScramSHA512}]; c.Iterations != 16384 {
		t.Fatalf("replaced credential: %+v", c)
	}
	if _, ok := next.ScramCredentials[ScramKey{"bob", ScramSHA512}]; ok {
		t.Fatal("removed credential stayed")
	}
	if d := cmp.Diff(map[Uuid]ACL{{1}: deny}, next.ACLs); d != "" {
		t.Fatalf("ACLs (-want +got):\n%s", d)
	}
	again, err := NewImage().Apply(3, next.Records())
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(next.ScramCredentials, again.ScramCredentials); d != "" {
		t.Fatalf("credentials after a snapshot (-want +got):\n%s", d)
	}
	if d := cmp.Diff(next.ACLs, again.ACLs); d != "" {
		t.Fatalf("ACLs after a snapshot (-want +got):\n%s", d)
	}
}

func TestApplySecurityRejects(t *testing.T) {
	base, err := NewImage().Apply(1, []Record{&AccessControlEntryRecord{ID: Uuid{1}}})
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]Record{
		"unknown mechanism":   scramRec("alice", 3, 4096),
		"empty user":          scramRec("", ScramSHA256, 4096),
		"no iterations":       scramRec("alice", ScramSHA256, 0),
		"remove missing cred": &RemoveUserScramCredentialRecord{Name: "nobody", Mechanism: ScramSHA256},
		"duplicate ACL id":    &AccessControlEntryRecord{ID: Uuid{1}},
		"remove missing ACL":  &RemoveAccessControlEntryRecord{ID: Uuid{2}},
	} {
		if _, err := base.Apply(2, []Record{r}); !errors.Is(err, ErrInvalidRecord) {
			t.Errorf("%s: %v, want ErrInvalidRecord", name, err)
		}
	}
}
