package metadata

import (
	"errors"
	"fmt"
	"slices"
)

// ErrInvalidRecord is returned (wrapped) by Apply for a record that does not
// fit the image (unknown topic, duplicate name, …). The controller validates
// before proposing, so this means a bug or a corrupt log; the batch is
// rejected as a whole, identically on every node.
var ErrInvalidRecord = errors.New("metadata: record does not apply to the image")

// Apply returns the image after applying recs, the batch of the raft entry at
// offset. It never mutates im: maps and topics that change are copied, the
// rest is shared with im (copy-on-write). Apply is deterministic. On error
// the batch applies not at all and im stays the current image.
func (im *Image) Apply(offset uint64, recs []Record) (*Image, error) {
	d := im.NewDelta()
	if err := d.Apply(offset, recs); err != nil {
		return nil, err
	}
	next := d.Image()
	if next == im {
		// An empty batch still moves the offset.
		next = im.shallowCopy()
		next.Offset = offset
	}
	return next, nil
}

// builder tracks which parts of next were already copied from the previous
// image, so a batch of many records copies each map at most once.
type builder struct {
	next                                   *Image
	topicsCopied, brokersCopied, cfgCopied bool
	ownTopics                              map[Uuid]bool // topics cloned by this batch
	ownConfigs                             map[ConfigResource]bool
	quotasCopied                           bool
	ownQuotas                              map[QuotaEntity]bool // entities cloned by this batch
	scramCopied, aclsCopied                bool
}

func (im *Image) shallowCopy() *Image {
	c := *im
	return &c
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidRecord, fmt.Sprintf(format, args...))
}

func (b *builder) apply(r Record) error {
	switch r := r.(type) {
	case *ClusterIDRecord:
		if r.ClusterID == "" || (b.next.ClusterID != "" && b.next.ClusterID != r.ClusterID) {
			return invalid("cluster id %q cannot replace %q", r.ClusterID, b.next.ClusterID)
		}
		b.next.ClusterID = r.ClusterID
	case *RegisterBrokerRecord:
		return b.registerBroker(r)
	case *FenceBrokerRecord:
		return b.changeBroker(r.ID, r.Epoch, BrokerFence, 0)
	case *UnregisterBrokerRecord:
		return b.unregisterBroker(r)
	case *UnfenceBrokerRecord:
		return b.changeBroker(r.ID, r.Epoch, BrokerUnfence, 0)
	case *BrokerRegistrationChangeRecord:
		return b.changeBroker(r.ID, r.Epoch, r.Fenced, r.InControlledShutdown)
	case *TopicRecord:
		return b.topic(r)
	case *PartitionRecord:
		return b.partition(r)
	case *PartitionChangeRecord:
		return b.partitionChange(r)
	case *RemoveTopicRecord:
		return b.removeTopic(r)
	case *ConfigRecord:
		b.config(ConfigResource{r.ResourceType, r.ResourceName}, r.Name, r.Value)
	case *ClientQuotaRecord:
		return b.clientQuota(r)
	case *UserScramCredentialRecord, *RemoveUserScramCredentialRecord,
		*AccessControlEntryRecord, *RemoveAccessControlEntryRecord:
		return b.security(r)
	case *ProducerIdsRecord:
		if r.NextProducerID <= b.next.NextProducerID {
			return invalid("next producer id %d does not grow from %d", r.NextProducerID, b.next.NextProducerID)
		}
		b.next.NextProducerID = r.NextProducerID
	default:
		return invalid("record type %T has no apply rule", r)
	}
	return nil
}

func (b *builder) registerBroker(r *RegisterBrokerRecord) error {
	if r.ID < 0 {
		return invalid("broker id %d is negative", r.ID)
	}
	epoch := r.Epoch
	if epoch == 0 {
		epoch = int64(b.next.Offset)
	}
	if old := b.next.Brokers[r.ID]; old != nil && epoch <= old.Epoch {
		return invalid("broker %d epoch %d does not grow from %d", r.ID, epoch, old.Epoch)
	}
	b.copyBrokers()
	b.next.Brokers[r.ID] = &Broker{ID: r.ID, Epoch: epoch, IncarnationID: r.IncarnationID, Rack: cloneStr(r.Rack),
		Endpoints: slices.Clone(r.Endpoints), Fenced: r.Fenced, InControlledShutdown: r.InControlledShutdown}
	return nil
}

// changeBroker applies a fencing change (BrokerFence, BrokerUnfence or
// BrokerFenceNoChange) and a controlled-shutdown change (0 or 1) to the
// registration of broker id at epoch.
func (b *builder) changeBroker(id int32, epoch int64, fenced, inControlledShutdown int8) error {
	old := b.next.Brokers[id]
	switch {
	case old == nil:
		return invalid("broker %d is not registered", id)
	case old.Epoch != epoch:
		return invalid("broker %d has epoch %d, not %d", id, old.Epoch, epoch)
	case fenced < BrokerUnfence || fenced > BrokerFence:
		return invalid("broker %d: bad fencing change %d", id, fenced)
	case inControlledShutdown != 0 && inControlledShutdown != 1:
		return invalid("broker %d: bad controlled shutdown change %d", id, inControlledShutdown)
	}
	nb := *old
	switch fenced {
	case BrokerFence:
		nb.Fenced = true
	case BrokerUnfence:
		nb.Fenced = false
	}
	if inControlledShutdown == 1 {
		nb.InControlledShutdown = true
	}
	b.copyBrokers()
	b.next.Brokers[id] = &nb
	return nil
}

// unregisterBroker removes a registration. Partitions keep naming the
// broker as a replica (it is simply not live), as in Kafka.
func (b *builder) unregisterBroker(r *UnregisterBrokerRecord) error {
	old := b.next.Brokers[r.ID]
	switch {
	case old == nil:
		return invalid("broker %d is not registered", r.ID)
	case old.Epoch != r.Epoch:
		return invalid("broker %d has epoch %d, not %d", r.ID, old.Epoch, r.Epoch)
	}
	b.copyBrokers()
	delete(b.next.Brokers, r.ID)
	return nil
}

func (b *builder) copyBrokers() {
	if !b.brokersCopied {
		b.next.Brokers = cloneMap(b.next.Brokers)
		b.brokersCopied = true
	}
}

func (b *builder) copyTopics() {
	if !b.topicsCopied {
		b.next.Topics = cloneMap(b.next.Topics)
		b.next.TopicsByID = cloneMap(b.next.TopicsByID)
		b.ownTopics = make(map[Uuid]bool)
		b.topicsCopied = true
	}
}

// ownTopic returns a topic of next that this batch may mutate.
func (b *builder) ownTopic(id Uuid) (*Topic, error) {
	t := b.next.TopicsByID[id]
	if t == nil {
		return nil, invalid("unknown topic id %x", id)
	}
	b.copyTopics()
	if b.ownTopics[id] {
		return t, nil
	}
	c := *t
	c.Partitions = slices.Clone(t.Partitions)
	b.next.Topics[c.Name], b.next.TopicsByID[id] = &c, &c
	b.ownTopics[id] = true
	return &c, nil
}

func (b *builder) topic(r *TopicRecord) error {
	if r.ID == (Uuid{}) || r.Name == "" {
		return invalid("topic needs a name and a non-zero id")
	}
	if b.next.Topics[r.Name] != nil || b.next.TopicsByID[r.ID] != nil {
		return invalid("topic %q or its id already exists", r.Name)
	}
	b.copyTopics()
	t := &Topic{Name: r.Name, ID: r.ID, Internal: r.Internal}
	b.next.Topics[r.Name], b.next.TopicsByID[r.ID] = t, t
	b.ownTopics[r.ID] = true
	return nil
}

func (b *builder) partition(r *PartitionRecord) error {
	t, err := b.ownTopic(r.TopicID)
	if err != nil {
		return err
	}
	if r.Partition < 0 || int(r.Partition) > len(t.Partitions) || len(r.Replicas) == 0 {
		return invalid("partition %d of %q (has %d partitions, %d replicas)", r.Partition, t.Name, len(t.Partitions), len(r.Replicas))
	}
	p := &Partition{Partition: r.Partition, Replicas: slices.Clone(r.Replicas), ISR: cloneNonEmpty(r.ISR),
		Leader: r.Leader, LeaderEpoch: r.LeaderEpoch, PartitionEpoch: r.PartitionEpoch,
		AddingReplicas: cloneNonEmpty(r.AddingReplicas), RemovingReplicas: cloneNonEmpty(r.RemovingReplicas),
		ELR: cloneNonEmpty(r.ELR), LastKnownELR: cloneNonEmpty(r.LastKnownELR)}
	if err := checkReassignment(p); err != nil {
		return invalid("partition %d of %q: %v", r.Partition, t.Name, err)
	}
	if int(r.Partition) == len(t.Partitions) {
		t.Partitions = append(t.Partitions, p)
	} else {
		t.Partitions[r.Partition] = p
	}
	return nil
}

func (b *builder) partitionChange(r *PartitionChangeRecord) error {
	t, err := b.ownTopic(r.TopicID)
	if err != nil {
		return err
	}
	if r.Partition < 0 || int(r.Partition) >= len(t.Partitions) {
		return invalid("partition %d of %q does not exist", r.Partition, t.Name)
	}
	if r.Replicas != nil && len(r.Replicas) == 0 {
		return invalid("partition %d of %q: empty replica set", r.Partition, t.Name)
	}
	p := t.Partitions[r.Partition].WithChange(r)
	if err := checkReassignment(p); err != nil {
		return invalid("partition %d of %q: %v", r.Partition, t.Name, err)
	}
	t.Partitions[r.Partition] = p
	return nil
}

// checkReassignment checks p's reassignment state: adding and removing
// replicas are replicas, and no replica is both.
func checkReassignment(p *Partition) error {
	for _, b := range p.AddingReplicas {
		if !slices.Contains(p.Replicas, b) || slices.Contains(p.RemovingReplicas, b) {
			return fmt.Errorf("adding replica %d is not a replica or is also being removed", b)
		}
	}
	for _, b := range p.RemovingReplicas {
		if !slices.Contains(p.Replicas, b) {
			return fmt.Errorf("removing replica %d is not a replica", b)
		}
	}
	return nil
}

func (b *builder) removeTopic(r *RemoveTopicRecord) error {
	t := b.next.TopicsByID[r.ID]
	if t == nil {
		return invalid("unknown topic id %x", r.ID)
	}
	b.copyTopics()
	delete(b.next.Topics, t.Name)
	delete(b.next.TopicsByID, r.ID)
	// Kafka drops a deleted topic's configs with it, so a topic re-created
	// under the same name starts from the defaults.
	res := ConfigResource{TopicResource, t.Name}
	if _, ok := b.next.Configs[res]; ok {
		b.copyConfigs()
		delete(b.next.Configs, res)
	}
	return nil
}

func (b *builder) copyConfigs() {
	if !b.cfgCopied {
		b.next.Configs = cloneMap(b.next.Configs)
		b.ownConfigs = make(map[ConfigResource]bool)
		b.cfgCopied = true
	}
}

func (b *builder) config(res ConfigResource, name string, value *string) {
	b.copyConfigs()
	m := b.next.Configs[res]
	if !b.ownConfigs[res] {
		m = cloneMap(m)
		b.ownConfigs[res] = true
	}
	if value == nil {
		delete(m, name)
	} else {
		m[name] = *value
	}
	if len(m) == 0 {
		delete(b.next.Configs, res)
		delete(b.ownConfigs, res)
		return
	}
	b.next.Configs[res] = m
}

// cloneMap copies m, returning a non-nil map even for a nil m.
func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	c := make(map[K]V, len(m)+1)
	for k, v := range m {
		c[k] = v
	}
	return c
}

func cloneStr(s *string) *string {
	if s == nil {
		return nil
	}
	c := *s
	return &c
}
