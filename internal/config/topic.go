package config

import "strconv"

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

// TopicValue resolves a topic config: the topic's own override, else the
// broker config it is a synonym of, else the topic default. It also returns
// the synonym chain, most specific first, as DescribeConfigs reports it.
func (b *Broker) TopicValue(name string, overrides map[string]string) (string, Source, []Synonym) {
	d, ok := TopicDefs[name]
	if !ok {
		return "", SourceUnknown, nil
	}
	var syns []Synonym
	if v, ok := overrides[name]; ok {
		syns = append(syns, Synonym{name, v, SourceDynamicTopic})
	}
	if v, src, ok := b.brokerSynonym(d.Synonym); ok {
		syns = append(syns, Synonym{d.Synonym, v, src})
	}
	if len(syns) == 0 {
		return d.Default, SourceDefault, []Synonym{{d.Synonym, d.Default, SourceDefault}}
	}
	return syns[0].Value, syns[0].Source, syns
}

// brokerSynonym is the broker-level value of a topic config's synonym,
// honouring Kafka's derived configs (log.retention.ms from minutes/hours,
// log.roll.ms from hours, log.flush.interval.ms from the scheduler interval).
func (b *Broker) brokerSynonym(name string) (string, Source, bool) {
	if name == "" {
		return "", SourceUnknown, false
	}
	if b.IsSet(name) {
		return b.Get(name), SourceStaticBroker, true
	}
	src := func(names ...string) Source {
		for _, n := range names {
			if b.IsSet(n) {
				return SourceStaticBroker
			}
		}
		return SourceDefault
	}
	switch name {
	case "log.retention.ms":
		if b.IsSet("log.retention.minutes") {
			return strconv.FormatInt(b.Int("log.retention.minutes")*60_000, 10), SourceStaticBroker, true
		}
		return strconv.FormatInt(b.Int("log.retention.hours")*3_600_000, 10), src("log.retention.hours"), true
	case "log.roll.ms":
		return strconv.FormatInt(b.Int("log.roll.hours")*3_600_000, 10), src("log.roll.hours"), true
	case "log.flush.interval.ms":
		return b.Get("log.flush.scheduler.interval.ms"), src("log.flush.scheduler.interval.ms"), true
	case "log.roll.jitter.ms":
		return "0", SourceDefault, true
	}
	if d, ok := BrokerDefs[name]; ok && !d.NoDef {
		return d.Default, SourceDefault, true
	}
	return "", SourceUnknown, false
}
