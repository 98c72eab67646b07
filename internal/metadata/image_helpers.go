package metadata

import (
	"cmp"
	"encoding/hex"
	"slices"
	"strconv"
)

// NewImage returns the empty image (offset 0) with non-nil maps.
func NewImage() *Image {
	return &Image{
		Topics:     map[string]*Topic{},
		TopicsByID: map[Uuid]*Topic{},
		Brokers:    map[int32]*Broker{},
		Configs:    map[ConfigResource]map[string]string{},

		ClientQuotas:     map[QuotaEntity]map[string]float64{},
		ScramCredentials: map[ScramKey]ScramCredential{},
		ACLs:             map[Uuid]ACL{},
	}
}

// String formats a topic id like Kafka does (base64url, no padding).
func (u Uuid) String() string { return uuidString(u) }

// Hex is the id in hex, handy in logs and file names.
func (u Uuid) Hex() string { return hex.EncodeToString(u[:]) }

// UnfencedBrokers returns the ids of registered, unfenced brokers, sorted.
func (im *Image) UnfencedBrokers() []int32 {
	ids := make([]int32, 0, len(im.Brokers))
	for id, b := range im.Brokers {
		if !b.Fenced {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// SortedTopicNames returns the topic names in ascending order.
func (im *Image) SortedTopicNames() []string {
	names := make([]string, 0, len(im.Topics))
	for n := range im.Topics {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Records returns a batch that rebuilds im from the empty image; it is the
// content of a metadata snapshot. The order is deterministic: cluster id,
// brokers by id, topics by name (each followed by its partitions and
// configs), other configs by resource, producer ids, client quotas.
func (im *Image) Records() []Record {
	var recs []Record
	if im.ClusterID != "" {
		recs = append(recs, &ClusterIDRecord{ClusterID: im.ClusterID})
	}
	ids := make([]int32, 0, len(im.Brokers))
	for id := range im.Brokers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		b := im.Brokers[id]
		recs = append(recs, &RegisterBrokerRecord{ID: b.ID, Epoch: b.Epoch, IncarnationID: b.IncarnationID,
			Rack: b.Rack, Endpoints: b.Endpoints, Fenced: b.Fenced, InControlledShutdown: b.InControlledShutdown})
	}
	for _, name := range im.SortedTopicNames() {
		t := im.Topics[name]
		recs = append(recs, &TopicRecord{Name: t.Name, ID: t.ID, Internal: t.Internal})
		for _, p := range t.Partitions {
			recs = append(recs, &PartitionRecord{TopicID: t.ID, Partition: p.Partition, Replicas: p.Replicas,
				ISR: p.ISR, Leader: p.Leader, LeaderEpoch: p.LeaderEpoch, PartitionEpoch: p.PartitionEpoch,
				AddingReplicas: p.AddingReplicas, RemovingReplicas: p.RemovingReplicas,
				ELR: p.ELR, LastKnownELR: p.LastKnownELR})
		}
	}
	res := make([]ConfigResource, 0, len(im.Configs))
	for r := range im.Configs {
		res = append(res, r)
	}
	slices.SortFunc(res, func(a, b ConfigResource) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.Name, b.Name))
	})
	for _, r := range res {
		m := im.Configs[r]
		names := make([]string, 0, len(m))
		for n := range m {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			v := m[n]
			recs = append(recs, &ConfigRecord{ResourceType: r.Type, ResourceName: r.Name, Name: n, Value: &v})
		}
	}
	if im.NextProducerID > 0 {
		recs = append(recs, &ProducerIdsRecord{BrokerID: -1, NextProducerID: im.NextProducerID})
	}
	recs = append(recs, im.quotaRecords()...)
	return append(recs, im.securityRecords()...)
}

// BrokerConfigName is the ConfigResource name of broker id's own configs.
func BrokerConfigName(id int32) string { return strconv.Itoa(int(id)) }

// WithChange returns p with change applied (change must name p's partition;
// p is not modified). This is the one rule for partition changes, used by
// Apply and by the controller to predict the outcome of a change: a leader
// change bumps LeaderEpoch, every change bumps PartitionEpoch.
func (p *Partition) WithChange(change *PartitionChangeRecord) *Partition {
	c := *p
	if change.Leader != NoLeaderChange && change.Leader != c.Leader {
		c.Leader = change.Leader
		c.LeaderEpoch++
	}
	if change.ISR != nil {
		c.ISR = cloneNonEmpty(change.ISR)
	}
	if change.Replicas != nil {
		c.Replicas = slices.Clone(change.Replicas)
	}
	if change.AddingReplicas != nil {
		c.AddingReplicas = cloneNonEmpty(change.AddingReplicas)
	}
	if change.RemovingReplicas != nil {
		c.RemovingReplicas = cloneNonEmpty(change.RemovingReplicas)
	}
	if change.ELR != nil {
		c.ELR = cloneNonEmpty(change.ELR)
	}
	if change.LastKnownELR != nil {
		c.LastKnownELR = cloneNonEmpty(change.LastKnownELR)
	}
	c.PartitionEpoch++
	return &c
}

// cloneNonEmpty copies s; nil for an empty s, so that "none" (no
// reassignment, an empty ISR or ELR) has one representation in an image.
func cloneNonEmpty(s []int32) []int32 {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}
