package metadata

import (
	"bytes"
	"cmp"
	"maps"
	"slices"
)

// security applies a SCRAM credential or ACL record. Removing what is not
// there is invalid, as in Kafka's controller, which never writes it.
func (b *builder) security(r Record) error {
	switch r := r.(type) {
	case *UserScramCredentialRecord:
		if r.Name == "" || (r.Mechanism != ScramSHA256 && r.Mechanism != ScramSHA512) {
			return invalid("SCRAM credential for %q with mechanism %d", r.Name, r.Mechanism)
		}
		if r.Iterations <= 0 || len(r.Salt) == 0 || len(r.StoredKey) == 0 || len(r.ServerKey) == 0 {
			return invalid("SCRAM credential for %q is incomplete", r.Name)
		}
		b.copyScram()
		b.next.ScramCredentials[ScramKey{r.Name, r.Mechanism}] = ScramCredential{
			Salt: bytes.Clone(r.Salt), StoredKey: bytes.Clone(r.StoredKey), ServerKey: bytes.Clone(r.ServerKey), Iterations: r.Iterations,
		}
	case *RemoveUserScramCredentialRecord:
		k := ScramKey{r.Name, r.Mechanism}
		if _, ok := b.next.ScramCredentials[k]; !ok {
			return invalid("no SCRAM credential for %q with mechanism %d", r.Name, r.Mechanism)
		}
		b.copyScram()
		delete(b.next.ScramCredentials, k)
	case *AccessControlEntryRecord:
		if _, ok := b.next.ACLs[r.ID]; ok {
			return invalid("ACL %s exists", r.ID)
		}
		b.copyACLs()
		b.next.ACLs[r.ID] = r.ACL
	case *RemoveAccessControlEntryRecord:
		if _, ok := b.next.ACLs[r.ID]; !ok {
			return invalid("no ACL %s", r.ID)
		}
		b.copyACLs()
		delete(b.next.ACLs, r.ID)
	}
	return nil
}

func (b *builder) copyScram() {
	if !b.scramCopied {
		b.next.ScramCredentials = cloneMap(b.next.ScramCredentials)
		b.scramCopied = true
	}
}

func (b *builder) copyACLs() {
	if !b.aclsCopied {
		b.next.ACLs = cloneMap(b.next.ACLs)
		b.aclsCopied = true
	}
}

// securityRecords returns the records that rebuild im's SCRAM credentials
// and ACLs, in a fixed order.
func (im *Image) securityRecords() []Record {
	var recs []Record
	keys := slices.SortedFunc(maps.Keys(im.ScramCredentials), func(a, b ScramKey) int {
		return cmp.Or(cmp.Compare(a.User, b.User), cmp.Compare(a.Mechanism, b.Mechanism))
	})
	for _, k := range keys {
		c := im.ScramCredentials[k]
		recs = append(recs, &UserScramCredentialRecord{Name: k.User, Mechanism: k.Mechanism,
			Salt: c.Salt, StoredKey: c.StoredKey, ServerKey: c.ServerKey, Iterations: c.Iterations})
	}
	ids := slices.SortedFunc(maps.Keys(im.ACLs), func(a, b Uuid) int { return bytes.Compare(a[:], b[:]) })
	for _, id := range ids {
		recs = append(recs, &AccessControlEntryRecord{ID: id, ACL: im.ACLs[id]})
	}
	return recs
}
