package config

// Source is where a config value came from; the numbers are Kafka's
// DescribeConfigs ConfigSource values.
type Source int8

const (
	SourceUnknown              Source = 0
	SourceDynamicTopic         Source = 1
	SourceDynamicBroker        Source = 2
	SourceDynamicDefaultBroker Source = 3
	SourceStaticBroker         Source = 4
	SourceDefault              Source = 5
)

// Synonym is one link in the chain that supplies a config's value.
type Synonym struct {
	Name   string
	Value  string
	Source Source
}

// TopicValue resolves a topic config against the static broker
// configuration only (no dynamic broker configs); see Dynamic.TopicValue.
func (b *Broker) TopicValue(name string, overrides map[string]string) (string, Source, []Synonym) {
	return b.Dynamic(nil, nil).TopicValue(name, overrides)
}
