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
	// NextProducerID is the first producer id not yet handed out in a block.
	NextProducerID int64
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
type Partition struct {
	Partition      int32
	Replicas       []int32
	ISR            []int32
	Leader         int32 // -1 when offline
	LeaderEpoch    int32
	PartitionEpoch int32
}

// Broker is a registered broker.
type Broker struct {
	ID        int32
	Epoch     int64
	Rack      *string
	Endpoints []Endpoint
	Fenced    bool
}

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
