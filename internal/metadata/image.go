package metadata

// Image is an immutable snapshot of the cluster metadata after applying the
// log up to Offset. Readers get it through an atomic pointer and never
// mutate it; the controller builds a new Image for every applied batch.
type Image struct {
	Offset     uint64 // raft index of the last applied entry
	ClusterID  string
	Topics     map[string]*Topic // by name
	TopicsByID map[Uuid]*Topic
	Brokers    map[int32]*Broker
	// Configs holds dynamic configs set in the metadata log: topic configs
	// under {TopicResource, name}, cluster-wide broker defaults under
	// {BrokerResource, ""}, per-broker under {BrokerResource, "<id>"}.
	Configs map[ConfigResource]map[string]string
	// ClientQuotas holds the client quotas (KIP-546) by entity, then by key
	// (producer_byte_rate, consumer_byte_rate, request_percentage,
	// controller_mutation_rate). An entity has at least one key.
	ClientQuotas map[QuotaEntity]map[string]float64
	// NextProducerID is the first producer id not yet handed out in a block.
	NextProducerID int64
	// ScramCredentials holds the SCRAM credentials by user and mechanism.
	ScramCredentials map[ScramKey]ScramCredential
	// ACLs holds the access control entries by id.
	ACLs map[Uuid]ACL
}

// Uuid is a Kafka topic id.
type Uuid [16]byte

// Topic is one topic and its partitions, indexed by partition number.
type Topic struct {
	Name       string
	ID         Uuid
	Internal   bool
	Partitions []*Partition
}

// Partition is the replica placement and leadership of one partition.
//
// While a reassignment is in progress (KIP-455) Replicas is the target
// replicas followed by the ones being removed, AddingReplicas the target
// replicas that were not replicas before, RemovingReplicas the replicas
// not in the target; both are nil otherwise.
//
// ELR (KIP-966's eligible leader replicas) are former ISR members that
// left the ISR while it was below min.insync.replicas: the high watermark
// has not moved since (strict min ISR), so each has every committed
// record and may be elected when the ISR is empty. LastKnownELR holds the
// last leader once the ISR became empty (Kafka 4.1's last known leader).
// Empty ISR, ELR and LastKnownELR are nil.
type Partition struct {
	Partition        int32
	Replicas         []int32
	ISR              []int32
	Leader           int32 // -1 when offline
	LeaderEpoch      int32
	PartitionEpoch   int32
	AddingReplicas   []int32
	RemovingReplicas []int32
	ELR              []int32
	LastKnownELR     []int32
}

// Reassigning reports whether a reassignment of p is in progress.
func (p *Partition) Reassigning() bool {
	return len(p.AddingReplicas) > 0 || len(p.RemovingReplicas) > 0
}

// Broker is a registered broker.
type Broker struct {
	ID int32
	// Epoch is the broker epoch: the offset of the entry that registered
	// this incarnation (Kafka's scheme), so a broker whose metadata offset
	// reached Epoch has seen its own registration. It grows with every
	// registration.
	Epoch         int64
	IncarnationID Uuid // zero for registrations written before it existed
	Rack          *string
	Endpoints     []Endpoint
	// Fenced brokers lead no partition and join no ISR. A registration
	// starts fenced; the controller unfences a broker that heartbeats and
	// has caught up with the metadata log.
	Fenced bool
	// InControlledShutdown: the broker asked to shut down; it is moving its
	// leaderships away and may not join ISRs or be elected leader.
	InControlledShutdown bool
}

// Active reports whether the broker may lead partitions and join ISRs:
// unfenced and not in controlled shutdown (Kafka's isActive).
func (b *Broker) Active() bool { return b != nil && !b.Fenced && !b.InControlledShutdown }

// Endpoint is one advertised listener of a broker.
type Endpoint struct {
	Listener         string // e.g. PLAINTEXT
	SecurityProtocol string // PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL
	Host             string
	Port             int32
}

// ConfigResourceType values match Kafka's DescribeConfigs resource types.
type ConfigResourceType int8

const (
	TopicResource  ConfigResourceType = 2
	BrokerResource ConfigResourceType = 4
)

// ConfigResource names the owner of a dynamic config.
type ConfigResource struct {
	Type ConfigResourceType
	Name string
}

// TopicConfig returns a topic's dynamic config value, if set.
func (im *Image) TopicConfig(topic, name string) (string, bool) {
	v, ok := im.Configs[ConfigResource{TopicResource, topic}][name]
	return v, ok
}
