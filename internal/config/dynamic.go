package config

import (
	"strconv"
)

// Dynamic is a broker's configuration as of one metadata image: the dynamic
// broker configs of the metadata log layered over the static configuration,
// in Kafka's order (DynamicBrokerConfig): this broker's own dynamic value
// (DYNAMIC_BROKER_CONFIG), the cluster-wide dynamic default
// (DYNAMIC_DEFAULT_BROKER_CONFIG), server.properties (STATIC_BROKER_CONFIG),
// the registry default (DEFAULT_CONFIG).
//
// A Dynamic is immutable: build a new one (Broker.Dynamic) for each image.
// Static keeps the values fixed at start-up (listeners, node.id, log.dirs…).
type Dynamic struct {
	Static *Broker
	// PerBroker are this broker's dynamic configs ({BROKER, "<node.id>"}).
	PerBroker map[string]string
	// ClusterDefault are the cluster-wide dynamic defaults ({BROKER, ""}).
	ClusterDefault map[string]string
}

// Resolver resolves topic configs against broker configs; *Broker (static
// only) and *Dynamic both implement it.
type Resolver interface {
	TopicValue(name string, overrides map[string]string) (string, Source, []Synonym)
	Int(name string) int64
}

// Dynamic layers the given dynamic configs over b; nil maps are empty.
func (b *Broker) Dynamic(perBroker, clusterDefault map[string]string) *Dynamic {
	return &Dynamic{Static: b, PerBroker: perBroker, ClusterDefault: clusterDefault}
}

// layer is one source of broker config values.
type layer struct {
	src Source
	get func(name string) (string, bool)
}

func (d *Dynamic) layers() [4]layer {
	fromMap := func(m map[string]string) func(string) (string, bool) {
		return func(n string) (string, bool) { v, ok := m[n]; return v, ok }
	}
	return [4]layer{
		{SourceDynamicBroker, fromMap(d.PerBroker)},
		{SourceDynamicDefaultBroker, fromMap(d.ClusterDefault)},
		{SourceStaticBroker, func(n string) (string, bool) {
			if d.Static == nil || !d.Static.IsSet(n) {
				return "", false
			}
			return d.Static.Get(n), true
		}},
		{SourceDefault, func(n string) (string, bool) {
			if def, ok := BrokerDefs[n]; ok && !def.NoDef {
				return def.Default, true
			}
			return "", false
		}},
	}
}

// Lookup returns name's value and source from the first layer that has it;
// ok is false for a config with no value anywhere (no default).
func (d *Dynamic) Lookup(name string) (value string, src Source, ok bool) {
	for _, l := range d.layers() {
		if v, ok := l.get(name); ok {
			return v, l.src, true
		}
	}
	return "", SourceUnknown, false
}

// Get returns name's effective value, "" when it has none.
func (d *Dynamic) Get(name string) string { v, _, _ := d.Lookup(name); return v }

// Int returns a numeric config's effective value.
func (d *Dynamic) Int(name string) int64 {
	n, _ := strconv.ParseInt(d.Get(name), 10, 64)
	return n
}

// Derived returns the value Kafka's KafkaConfig computes for a broker
// config that other configs can supply (log.retention.ms from minutes or
// hours, log.roll.ms from hours, log.flush.interval.ms from the scheduler
// interval). Each name is resolved through every layer before falling back
// to the next name, as Kafka does. ok is false when nothing supplies it.
func (d *Dynamic) Derived(name string) (string, bool) {
	scaled := func(n string, factor int64) (string, bool) {
		v, _, ok := d.Lookup(n)
		if !ok {
			return "", false
		}
		x, _ := strconv.ParseInt(v, 10, 64)
		return strconv.FormatInt(x*factor, 10), true
	}
	if v, _, ok := d.Lookup(name); ok {
		return v, true
	}
	switch name {
	case "log.retention.ms":
		if v, ok := scaled("log.retention.minutes", 60_000); ok {
			return v, true
		}
		return scaled("log.retention.hours", 3_600_000)
	case "log.roll.ms":
		return scaled("log.roll.hours", 3_600_000)
	case "log.roll.jitter.ms":
		return "0", true // log.roll.jitter.hours defaults to 0
	case "log.flush.interval.ms":
		return d.Get("log.flush.scheduler.interval.ms"), true
	}
	return "", false
}

// synonymNames is Kafka's DynamicBrokerConfig.brokerConfigSynonyms: the
// broker configs that can supply name's value, most specific first.
func synonymNames(name string) []string {
	switch name {
	case "log.roll.ms", "log.roll.hours":
		return []string{"log.roll.ms", "log.roll.hours"}
	case "log.roll.jitter.ms", "log.roll.jitter.hours":
		return []string{"log.roll.jitter.ms", "log.roll.jitter.hours"}
	case "log.flush.interval.ms":
		return []string{"log.flush.interval.ms", "log.flush.scheduler.interval.ms"}
	case "log.retention.ms", "log.retention.minutes", "log.retention.hours":
		return []string{"log.retention.ms", "log.retention.minutes", "log.retention.hours"}
	}
	return []string{name}
}

// Synonyms is the synonym chain DescribeConfigs reports for a broker
// config (Kafka's ConfigHelper.configSynonyms): layer by layer, most
// specific first, every synonym name the layer sets. Like Kafka it then
// drops entries before the first one named name itself, so a
// log.retention.ms supplied only by log.retention.hours reports no
// synonyms (its value is still the derived one).
func (d *Dynamic) Synonyms(name string) []Synonym {
	names := synonymNames(name)
	var out []Synonym
	for _, l := range d.layers() {
		for _, n := range names {
			if v, ok := l.get(n); ok {
				out = append(out, Synonym{Name: n, Value: v, Source: l.src})
			}
		}
	}
	for len(out) > 0 && out[0].Name != name {
		out = out[1:]
	}
	return out
}

// TopicValue resolves a topic config as Kafka's DescribeConfigs reports
// it: the topic's own override, else the broker config it is a synonym of
// (through the dynamic layers), else the topic default. The synonym chain
// lists the override first, then the broker synonyms in Kafka's order; the
// source is the chain's first entry's (DEFAULT_CONFIG for an empty chain).
func (d *Dynamic) TopicValue(name string, overrides map[string]string) (string, Source, []Synonym) {
	def, ok := TopicDefs[name]
	if !ok {
		return "", SourceUnknown, nil
	}
	var syns []Synonym
	v, overridden := overrides[name]
	if overridden {
		syns = append(syns, Synonym{name, v, SourceDynamicTopic})
	}
	if def.Synonym != "" {
		syns = append(syns, d.Synonyms(def.Synonym)...)
	}
	if !overridden {
		var derived bool
		if def.Synonym != "" {
			v, derived = d.Derived(def.Synonym)
		}
		if !derived {
			v = def.Default
		}
	}
	src := SourceDefault
	if len(syns) > 0 {
		src = syns[0].Source
	}
	return v, src, syns
}

// BrokerValue describes a broker config for DescribeConfigs of this
// broker: its own value (ok false: none; Kafka reports the configured
// value, not a derived one), source and synonyms.
func (d *Dynamic) BrokerValue(name string) (value string, src Source, syns []Synonym, ok bool) {
	value, _, ok = d.Lookup(name)
	syns = d.Synonyms(name)
	src = SourceDefault
	if len(syns) > 0 {
		src = syns[0].Source
	}
	return value, src, syns, ok
}
