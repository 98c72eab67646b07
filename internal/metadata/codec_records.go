package metadata

import (
	"math"

	"github.com/twmb/franz-go/pkg/kbin"
)

// record decodes the body of rec (a pointer to a zero record) in place.
func (d *decoder) record(rec Record) {
	switch r := rec.(type) {
	case *ClusterIDRecord:
		r.ClusterID = d.string()
	case *RegisterBrokerRecord:
		r.ID = d.r.Int32()
		r.Epoch = d.r.Int64()
		r.Rack = d.nullableString()
		// An endpoint takes at least 7 bytes (three empty strings + port).
		if n := d.arrayLen(7); n >= 0 {
			r.Endpoints = make([]Endpoint, n)
			for i := range r.Endpoints {
				e := &r.Endpoints[i]
				e.Listener, e.SecurityProtocol, e.Host = d.string(), d.string(), d.string()
				e.Port = d.r.Int32()
			}
		}
		r.Fenced = d.bool()
		if d.ver >= 1 {
			r.IncarnationID = d.r.Uuid()
			r.InControlledShutdown = d.bool()
		}
	case *TopicRecord:
		r.Name = d.string()
		r.ID = d.r.Uuid()
		r.Internal = d.bool()
	case *PartitionRecord:
		r.TopicID = d.r.Uuid()
		r.Partition = d.r.Int32()
		r.Replicas = d.int32s()
		r.ISR = d.int32s()
		r.Leader = d.r.Int32()
		r.LeaderEpoch = d.r.Int32()
		r.PartitionEpoch = d.r.Int32()
		if d.ver >= 1 {
			r.AddingReplicas = d.int32s()
			r.RemovingReplicas = d.int32s()
		}
		if d.ver >= 2 {
			r.ELR = d.int32s()
			r.LastKnownELR = d.int32s()
		}
	case *PartitionChangeRecord:
		r.TopicID = d.r.Uuid()
		r.Partition = d.r.Int32()
		r.Leader = d.r.Int32()
		r.ISR = d.int32s()
		r.Replicas = d.int32s()
		if d.ver >= 1 {
			r.AddingReplicas = d.int32s()
			r.RemovingReplicas = d.int32s()
		}
		if d.ver >= 2 {
			r.ELR = d.int32s()
			r.LastKnownELR = d.int32s()
		}
	case *RemoveTopicRecord:
		r.ID = d.r.Uuid()
	case *ConfigRecord:
		r.ResourceType = ConfigResourceType(d.r.Int8())
		r.ResourceName = d.string()
		r.Name = d.string()
		r.Value = d.nullableString()
	case *ProducerIdsRecord:
		r.BrokerID = d.r.Int32()
		r.BrokerEpoch = d.r.Int64()
		r.NextProducerID = d.r.Int64()
	case *FenceBrokerRecord:
		r.ID, r.Epoch = d.brokerEpoch()
	case *UnregisterBrokerRecord:
		r.ID, r.Epoch = d.brokerEpoch()
	case *UnfenceBrokerRecord:
		r.ID, r.Epoch = d.brokerEpoch()
	case *BrokerRegistrationChangeRecord:
		r.ID = d.r.Int32()
		r.Epoch = d.r.Int64()
		r.Fenced = d.r.Int8()
		r.InControlledShutdown = d.r.Int8()
	case *ClientQuotaRecord:
		d.clientQuota(r)
	default:
		if !d.securityRecord(rec) {
			panic("metadata: decoder has no case for a registered record type")
		}
	}
}

func (r *ClusterIDRecord) appendBody(dst []byte) []byte { return appendString(dst, r.ClusterID) }

func (r *RegisterBrokerRecord) appendBody(dst []byte) []byte {
	dst = kbin.AppendInt32(dst, r.ID)
	dst = kbin.AppendInt64(dst, r.Epoch)
	dst = kbin.AppendCompactNullableString(dst, r.Rack)
	dst = kbin.AppendCompactNullableArrayLen(dst, len(r.Endpoints), r.Endpoints == nil)
	for _, e := range r.Endpoints {
		dst = appendString(dst, e.Listener)
		dst = appendString(dst, e.SecurityProtocol)
		dst = appendString(dst, e.Host)
		dst = kbin.AppendInt32(dst, e.Port)
	}
	dst = kbin.AppendBool(dst, r.Fenced)
	dst = kbin.AppendUuid(dst, r.IncarnationID)
	return kbin.AppendBool(dst, r.InControlledShutdown)
}

func (r *TopicRecord) appendBody(dst []byte) []byte {
	dst = appendString(dst, r.Name)
	dst = kbin.AppendUuid(dst, r.ID)
	return kbin.AppendBool(dst, r.Internal)
}

func (r *PartitionRecord) appendBody(dst []byte) []byte {
	dst = kbin.AppendUuid(dst, r.TopicID)
	dst = kbin.AppendInt32(dst, r.Partition)
	dst = appendInt32s(dst, r.Replicas)
	dst = appendInt32s(dst, r.ISR)
	dst = kbin.AppendInt32(dst, r.Leader)
	dst = kbin.AppendInt32(dst, r.LeaderEpoch)
	dst = kbin.AppendInt32(dst, r.PartitionEpoch)
	dst = appendInt32s(dst, r.AddingReplicas)
	dst = appendInt32s(dst, r.RemovingReplicas)
	dst = appendInt32s(dst, r.ELR)
	return appendInt32s(dst, r.LastKnownELR)
}

func (r *PartitionChangeRecord) appendBody(dst []byte) []byte {
	dst = kbin.AppendUuid(dst, r.TopicID)
	dst = kbin.AppendInt32(dst, r.Partition)
	dst = kbin.AppendInt32(dst, r.Leader)
	dst = appendInt32s(dst, r.ISR)
	dst = appendInt32s(dst, r.Replicas)
	dst = appendInt32s(dst, r.AddingReplicas)
	dst = appendInt32s(dst, r.RemovingReplicas)
	dst = appendInt32s(dst, r.ELR)
	return appendInt32s(dst, r.LastKnownELR)
}

func (r *RemoveTopicRecord) appendBody(dst []byte) []byte { return kbin.AppendUuid(dst, r.ID) }

func (r *ConfigRecord) appendBody(dst []byte) []byte {
	dst = kbin.AppendInt8(dst, int8(r.ResourceType))
	dst = appendString(dst, r.ResourceName)
	dst = appendString(dst, r.Name)
	return kbin.AppendCompactNullableString(dst, r.Value)
}

func (r *ProducerIdsRecord) appendBody(dst []byte) []byte {
	dst = kbin.AppendInt32(dst, r.BrokerID)
	dst = kbin.AppendInt64(dst, r.BrokerEpoch)
	return kbin.AppendInt64(dst, r.NextProducerID)
}

// brokerEpoch reads what appendBrokerEpoch wrote.
func (d *decoder) brokerEpoch() (int32, int64) {
	id := d.r.Int32()
	return id, d.r.Int64()
}

// appendBrokerEpoch is the body FenceBroker, UnfenceBroker and
// UnregisterBroker share: the broker id and its epoch.
func appendBrokerEpoch(dst []byte, id int32, epoch int64) []byte {
	return kbin.AppendInt64(kbin.AppendInt32(dst, id), epoch)
}

func (r *FenceBrokerRecord) appendBody(dst []byte) []byte {
	return appendBrokerEpoch(dst, r.ID, r.Epoch)
}

func (r *UnregisterBrokerRecord) appendBody(dst []byte) []byte {
	return appendBrokerEpoch(dst, r.ID, r.Epoch)
}

func (r *UnfenceBrokerRecord) appendBody(dst []byte) []byte {
	return appendBrokerEpoch(dst, r.ID, r.Epoch)
}

func (r *BrokerRegistrationChangeRecord) appendBody(dst []byte) []byte {
	dst = kbin.AppendInt32(dst, r.ID)
	dst = kbin.AppendInt64(dst, r.Epoch)
	dst = kbin.AppendInt8(dst, r.Fenced)
	return kbin.AppendInt8(dst, r.InControlledShutdown)
}

// clientQuota decodes a ClientQuotaRecord body:
//
//	entity:[type:string name:nullable-string] key:string value:f64 remove:bool
func (d *decoder) clientQuota(r *ClientQuotaRecord) {
	// An entity part takes at least 2 bytes (an empty type, a null name).
	if n := d.arrayLen(2); n >= 0 {
		r.Entity = make([]QuotaEntityData, n)
		for i := range r.Entity {
			r.Entity[i].Type = d.string()
			r.Entity[i].Name = d.nullableString()
		}
	}
	r.Key = d.string()
	r.Value = d.r.Float64()
	r.Remove = d.bool()
	// The controller writes only positive finite values; NaN would also
	// make two equal logs compare unequal.
	if math.IsNaN(r.Value) || math.IsInf(r.Value, 0) {
		d.fail("non-finite quota value")
	}
}

func (r *ClientQuotaRecord) appendBody(dst []byte) []byte {
	dst = kbin.AppendCompactNullableArrayLen(dst, len(r.Entity), r.Entity == nil)
	for _, e := range r.Entity {
		dst = appendString(dst, e.Type)
		dst = kbin.AppendCompactNullableString(dst, e.Name)
	}
	dst = appendString(dst, r.Key)
	dst = kbin.AppendFloat64(dst, r.Value)
	return kbin.AppendBool(dst, r.Remove)
}
