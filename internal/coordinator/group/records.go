package group

import (
	"encoding/binary"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Records of __consumer_offsets, in Kafka's exact formats (tools such as
// Burrow read the topic directly). The key starts with an int16 version
// that says what the record is:
//
//	key v0/v1  OffsetCommitKey   group, topic, partition  (Strom writes v1)
//	key v2     GroupMetadataKey  group
//
// Values carry their own int16 version. Strom writes OffsetCommitValue v3
// (offset, leader epoch, metadata, commit timestamp), or v1 when the commit
// has an explicit expiry (OffsetCommit v2–4 retention time), as Kafka 4
// does; and GroupMetadataValue v3 (KIP-345 instance ids). A nil value is a
// tombstone: the offset, or the whole group, was deleted.

const (
	offsetKeyVersion    = 1
	groupKeyVersion     = 2
	offsetValueVersion  = 3
	offsetValueExpiring = 1
	groupValueVersion   = 3
)

func offsetKey(groupID string, tp TopicPartition) []byte {
	k := kmsg.OffsetCommitKey{Version: offsetKeyVersion, Group: groupID, Topic: tp.Topic, Partition: tp.Partition}
	return k.AppendTo(nil)
}

func groupKey(groupID string) []byte {
	k := kmsg.GroupMetadataKey{Version: groupKeyVersion, Group: groupID}
	return k.AppendTo(nil)
}

func offsetRecord(groupID string, tp TopicPartition, o *offset) kv {
	v := kmsg.OffsetCommitValue{
		Version: offsetValueVersion, Offset: o.offset, LeaderEpoch: o.leaderEpoch,
		Metadata: o.metadata, CommitTimestamp: o.commitTime,
	}
	if o.expireTime >= 0 {
		v.Version, v.ExpireTimestamp = offsetValueExpiring, o.expireTime
	}
	return kv{key: offsetKey(groupID, tp), value: v.AppendTo(nil)}
}

// groupRecord is the group's metadata record; assignments override the
// members' current ones (nil: keep them).
func groupRecord(g *group, assignments map[string][]byte) kv {
	v := kmsg.NewGroupMetadataValue()
	v.Version = groupValueVersion
	v.ProtocolType, v.Generation = g.protocolType, g.generation
	v.CurrentStateTimestamp = g.stateTime.UnixMilli()
	if g.protocol != "" {
		p := g.protocol
		v.Protocol = &p
	}
	if g.leader != "" {
		l := g.leader
		v.Leader = &l
	}
	v.Members = []kmsg.GroupMetadataValueMember{}
	for _, m := range g.memberList() {
		a, ok := assignments[m.id]
		if !ok {
			a = m.assignment
		}
		if a == nil {
			a = []byte{}
		}
		sub := m.metadataFor(g.protocol)
		if sub == nil {
			sub = []byte{}
		}
		v.Members = append(v.Members, kmsg.GroupMetadataValueMember{
			MemberID: m.id, InstanceID: m.instanceID, ClientID: m.clientID, ClientHost: m.clientHost,
			RebalanceTimeoutMillis: int32(m.rebalanceTimeout.Milliseconds()),
			SessionTimeoutMillis:   int32(m.sessionTimeout.Milliseconds()),
			Subscription:           sub, Assignment: a,
		})
	}
	return kv{key: groupKey(g.id), value: v.AppendTo(nil)}
}

// decoded is one parsed record of the topic.
type decoded struct {
	offsetKey *kmsg.OffsetCommitKey
	offset    *kmsg.OffsetCommitValue // nil: tombstone
	groupKey  *kmsg.GroupMetadataKey
	group     *kmsg.GroupMetadataValue // nil: tombstone
}

// decodeRecord parses a record. Key versions it does not know (Kafka 4's
// KIP-848 records use 3 and up) yield ok=false and no error: they belong
// to protocols Strom does not run, and are skipped like Kafka skips
// unknown record types it can ignore.
func decodeRecord(key, value []byte) (d decoded, ok bool, err error) {
	if len(key) < 2 {
		return d, false, fmt.Errorf("record key of %d bytes", len(key))
	}
	switch v := int16(binary.BigEndian.Uint16(key)); v {
	case 0, 1:
		var k kmsg.OffsetCommitKey
		if err := k.ReadFrom(key); err != nil {
			return d, false, fmt.Errorf("offset commit key: %w", err)
		}
		d.offsetKey = &k
		if value != nil {
			var val kmsg.OffsetCommitValue
			if err := val.ReadFrom(value); err != nil {
				return d, false, fmt.Errorf("offset commit value for %s: %w", k.Group, err)
			}
			if val.Version < 3 {
				val.LeaderEpoch = -1 // not recorded before v3
			}
			d.offset = &val
		}
		return d, true, nil
	case 2:
		var k kmsg.GroupMetadataKey
		if err := k.ReadFrom(key); err != nil {
			return d, false, fmt.Errorf("group metadata key: %w", err)
		}
		d.groupKey = &k
		if value != nil {
			var val kmsg.GroupMetadataValue
			if err := val.ReadFrom(value); err != nil {
				return d, false, fmt.Errorf("group metadata value for %s: %w", k.Group, err)
			}
			d.group = &val
		}
		return d, true, nil
	}
	return d, false, nil
}
