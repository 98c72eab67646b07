package metadata

import "github.com/twmb/franz-go/pkg/kbin"

// Security records: SCRAM credentials (KIP-554) and ACLs (KIP-801), with
// Kafka's record type numbers. Strom stores a SCRAM credential as Kafka
// 3.x did: salt, stored key, server key and iterations, from which the
// password cannot be recovered and a client cannot be impersonated.
const (
	// UserScramCredentialRecordType is Kafka's apiKey 11.
	UserScramCredentialRecordType RecordType = 11
	// AccessControlEntryRecordType is Kafka's apiKey 18.
	AccessControlEntryRecordType RecordType = 18
	// RemoveAccessControlEntryRecordType is Kafka's apiKey 19.
	RemoveAccessControlEntryRecordType RecordType = 19
	// RemoveUserScramCredentialRecordType is Kafka's apiKey 22.
	RemoveUserScramCredentialRecordType RecordType = 22
)

// SCRAM mechanisms, numbered as Kafka's ScramMechanism.
const (
	ScramSHA256 int8 = 1
	ScramSHA512 int8 = 2
)

// UserScramCredentialRecord sets a user's credential for one mechanism.
type UserScramCredentialRecord struct {
	Name       string
	Mechanism  int8
	Salt       []byte
	StoredKey  []byte
	ServerKey  []byte
	Iterations int32
}

// RemoveUserScramCredentialRecord deletes a user's credential for one
// mechanism.
type RemoveUserScramCredentialRecord struct {
	Name      string
	Mechanism int8
}

// AccessControlEntryRecord adds one ACL; the numbers are Kafka's
// (ResourceType, PatternType, AclOperation, AclPermissionType).
type AccessControlEntryRecord struct {
	ID Uuid
	ACL
}

// RemoveAccessControlEntryRecord deletes the ACL with the id.
type RemoveAccessControlEntryRecord struct {
	ID Uuid
}

// ACL is one access control entry.
type ACL struct {
	ResourceType   int8
	ResourceName   string
	PatternType    int8
	Principal      string
	Host           string
	Operation      int8
	PermissionType int8
}

// ScramKey names one credential: a user and a mechanism.
type ScramKey struct {
	User      string
	Mechanism int8
}

// ScramCredential is what the broker keeps of a SCRAM password.
type ScramCredential struct {
	Salt, StoredKey, ServerKey []byte
	Iterations                 int32
}

func (*UserScramCredentialRecord) Type() RecordType       { return UserScramCredentialRecordType }
func (*RemoveUserScramCredentialRecord) Type() RecordType { return RemoveUserScramCredentialRecordType }
func (*AccessControlEntryRecord) Type() RecordType        { return AccessControlEntryRecordType }
func (*RemoveAccessControlEntryRecord) Type() RecordType  { return RemoveAccessControlEntryRecordType }

func (*UserScramCredentialRecord) version() uint16       { return 0 }
func (*RemoveUserScramCredentialRecord) version() uint16 { return 0 }
func (*AccessControlEntryRecord) version() uint16        { return 0 }
func (*RemoveAccessControlEntryRecord) version() uint16  { return 0 }

func (r *UserScramCredentialRecord) appendBody(dst []byte) []byte {
	dst = appendString(dst, r.Name)
	dst = kbin.AppendInt8(dst, r.Mechanism)
	dst = kbin.AppendCompactBytes(dst, r.Salt)
	dst = kbin.AppendCompactBytes(dst, r.StoredKey)
	dst = kbin.AppendCompactBytes(dst, r.ServerKey)
	return kbin.AppendInt32(dst, r.Iterations)
}

func (r *RemoveUserScramCredentialRecord) appendBody(dst []byte) []byte {
	return kbin.AppendInt8(appendString(dst, r.Name), r.Mechanism)
}

func (r *AccessControlEntryRecord) appendBody(dst []byte) []byte {
	dst = kbin.AppendUuid(dst, r.ID)
	dst = kbin.AppendInt8(dst, r.ResourceType)
	dst = appendString(dst, r.ResourceName)
	dst = kbin.AppendInt8(dst, r.PatternType)
	dst = appendString(dst, r.Principal)
	dst = appendString(dst, r.Host)
	dst = kbin.AppendInt8(dst, r.Operation)
	return kbin.AppendInt8(dst, r.PermissionType)
}

func (r *RemoveAccessControlEntryRecord) appendBody(dst []byte) []byte {
	return kbin.AppendUuid(dst, r.ID)
}

// securityRecord decodes the bodies of the records above; false for any
// other record.
func (d *decoder) securityRecord(rec Record) bool {
	switch r := rec.(type) {
	case *UserScramCredentialRecord:
		r.Name, r.Mechanism = d.string(), d.r.Int8()
		r.Salt, r.StoredKey, r.ServerKey = d.bytes(), d.bytes(), d.bytes()
		r.Iterations = d.r.Int32()
	case *RemoveUserScramCredentialRecord:
		r.Name, r.Mechanism = d.string(), d.r.Int8()
	case *AccessControlEntryRecord:
		r.ID = d.r.Uuid()
		r.ResourceType, r.ResourceName, r.PatternType = d.r.Int8(), d.string(), d.r.Int8()
		r.Principal, r.Host = d.string(), d.string()
		r.Operation, r.PermissionType = d.r.Int8(), d.r.Int8()
	case *RemoveAccessControlEntryRecord:
		r.ID = d.r.Uuid()
	default:
		return false
	}
	return true
}

// newSecurityRecord returns an empty record of typ, nil for other types.
func newSecurityRecord(typ RecordType) Record {
	switch typ {
	case UserScramCredentialRecordType:
		return new(UserScramCredentialRecord)
	case RemoveUserScramCredentialRecordType:
		return new(RemoveUserScramCredentialRecord)
	case AccessControlEntryRecordType:
		return new(AccessControlEntryRecord)
	case RemoveAccessControlEntryRecordType:
		return new(RemoveAccessControlEntryRecord)
	}
	return nil
}
