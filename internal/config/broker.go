package config

import (
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Broker is a node's static configuration: what server.properties and
// --override said, resolved against BrokerDefs. It is immutable once built.
type Broker struct {
	set map[string]string // explicitly configured values

	NodeID                   int32
	Listeners                []Listener
	AdvertisedListeners      []Listener
	LogDirs                  []string
	MetadataLogDir           string
	NumPartitions            int32
	DefaultReplicationFactor int16
	AutoCreateTopics         bool
	DeleteTopicEnable        bool
	SocketRequestMaxBytes    int32
	MaxConnectionsPerIP      int
	RetentionCheckIntervalMs int64
	Rack                     *string

	// The metadata quorum (quorum.go).
	Roles                   []string // process.roles
	Voters                  []Voter  // controller.quorum.voters; empty: this node alone
	ControllerListenerNames []string // controller.listener.names, upper case
	InterBrokerListener     string   // inter.broker.listener.name, resolved
}

// Listener is one NAME://host:port entry.
type Listener struct {
	Name             string
	SecurityProtocol string
	Host             string
	Port             int32
}

func (l Listener) String() string {
	return l.Name + "://" + net.JoinHostPort(l.Host, strconv.Itoa(int(l.Port)))
}

// Load reads an optional properties file, then applies overrides in order.
func Load(file string, overrides []string) (*Broker, error) {
	set := map[string]string{}
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		props, err := ParseProperties(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("config %s: %w", file, err)
		}
		for k, v := range props {
			set[k] = v
		}
	}
	for _, o := range overrides {
		k, v, err := ParseOverride(o)
		if err != nil {
			return nil, err
		}
		set[k] = v
	}
	return New(set)
}

// New validates explicitly set values and resolves the typed fields.
func New(set map[string]string) (*Broker, error) {
	names := make([]string, 0, len(set))
	for k := range set {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		d, err := lookupDef(k)
		if err != nil {
			return nil, err
		}
		if err := d.Validate(set[k]); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
	}
	b := &Broker{set: set}
	var err error
	b.NodeID = int32(b.Int("node.id"))
	if b.Listeners, err = b.parseListeners("listeners"); err != nil {
		return nil, err
	}
	if b.AdvertisedListeners, err = b.advertised(); err != nil {
		return nil, err
	}
	b.LogDirs = b.List("log.dirs")
	if len(b.LogDirs) == 0 {
		b.LogDirs = []string{b.Get("log.dir")}
	}
	b.MetadataLogDir = b.Get("metadata.log.dir")
	if b.MetadataLogDir == "" {
		b.MetadataLogDir = b.LogDirs[0]
	}
	b.NumPartitions = int32(b.Int("num.partitions"))
	b.DefaultReplicationFactor = int16(b.Int("default.replication.factor"))
	b.AutoCreateTopics = b.Bool("auto.create.topics.enable")
	b.DeleteTopicEnable = b.Bool("delete.topic.enable")
	b.SocketRequestMaxBytes = int32(b.Int("socket.request.max.bytes"))
	b.MaxConnectionsPerIP = int(b.Int("max.connections.per.ip"))
	b.RetentionCheckIntervalMs = b.Int("log.retention.check.interval.ms")
	if r, ok := set["broker.rack"]; ok {
		b.Rack = &r
	}
	if err := b.resolveQuorum(); err != nil {
		return nil, err
	}
	return b, nil
}

// IsSet reports whether name was configured explicitly.
func (b *Broker) IsSet(name string) bool { _, ok := b.set[name]; return ok }

// Get returns the configured value or the default ("" when none).
func (b *Broker) Get(name string) string {
	if v, ok := b.set[name]; ok {
		return strings.TrimSpace(v)
	}
	if d, ok := BrokerDefs[name]; ok {
		return d.Default
	}
	return ""
}

// Int returns a numeric config; defs guarantee it parses.
func (b *Broker) Int(name string) int64 {
	n, _ := strconv.ParseInt(b.Get(name), 10, 64)
	return n
}

// Bool returns a boolean config.
func (b *Broker) Bool(name string) bool { return strings.EqualFold(b.Get(name), "true") }

// List returns a list config, empty entries dropped.
func (b *Broker) List(name string) []string {
	var out []string
	for _, e := range strings.Split(b.Get(name), ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// SecurityProtocol is a listener's protocol from
// listener.security.protocol.map (PLAINTEXT, SSL, SASL_PLAINTEXT,
// SASL_SSL), also for listeners this node does not open itself (a
// broker-only node's view of the CONTROLLER listener).
func (b *Broker) SecurityProtocol(listener string) (string, error) {
	pm, err := b.protocolMap()
	if err != nil {
		return "", err
	}
	p, ok := pm[strings.ToUpper(listener)]
	if !ok {
		return "", fmt.Errorf("config: listener %s has no entry in listener.security.protocol.map", listener)
	}
	return p, nil
}

func (b *Broker) protocolMap() (map[string]string, error) {
	m := map[string]string{}
	for _, e := range b.List("listener.security.protocol.map") {
		name, proto, ok := strings.Cut(e, ":")
		if !ok {
			return nil, fmt.Errorf("config: listener.security.protocol.map entry %q: want NAME:PROTOCOL", e)
		}
		m[strings.ToUpper(strings.TrimSpace(name))] = strings.ToUpper(strings.TrimSpace(proto))
	}
	return m, nil
}

func (b *Broker) parseListeners(name string) ([]Listener, error) {
	pm, err := b.protocolMap()
	if err != nil {
		return nil, err
	}
	var out []Listener
	seen := map[string]bool{}
	for _, uri := range b.List(name) {
		lname, hostport, ok := strings.Cut(uri, "://")
		if !ok {
			return nil, fmt.Errorf("config: %s entry %q: want NAME://host:port", name, uri)
		}
		host, port, err := net.SplitHostPort(hostport)
		if err != nil {
			return nil, fmt.Errorf("config: %s entry %q: %w", name, uri, err)
		}
		p, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("config: %s entry %q: bad port", name, uri)
		}
		lname = strings.ToUpper(lname)
		proto, ok := pm[lname]
		if !ok {
			return nil, fmt.Errorf("config: listener %s has no entry in listener.security.protocol.map", lname)
		}
		if seen[lname] {
			return nil, fmt.Errorf("config: %s names listener %s twice", name, lname)
		}
		seen[lname] = true
		out = append(out, Listener{Name: lname, SecurityProtocol: proto, Host: host, Port: int32(p)})
	}
	return out, nil
}

// advertised derives advertised.listeners from listeners when unset, as
// Kafka does: every non-controller listener, with a wildcard host replaced
// by this machine's name.
func (b *Broker) advertised() ([]Listener, error) {
	if b.IsSet("advertised.listeners") {
		return b.parseListeners("advertised.listeners")
	}
	ctrl := map[string]bool{}
	for _, n := range b.List("controller.listener.names") {
		ctrl[strings.ToUpper(n)] = true
	}
	var out []Listener
	for _, l := range b.Listeners {
		if ctrl[l.Name] {
			continue
		}
		if l.Host == "" || l.Host == "0.0.0.0" || l.Host == "::" {
			h, err := os.Hostname()
			if err != nil {
				return nil, fmt.Errorf("config: deriving advertised.listeners: %w", err)
			}
			l.Host = h
		}
		out = append(out, l)
	}
	return out, nil
}

// Explicit returns the explicitly configured values (for DescribeConfigs).
func (b *Broker) Explicit() map[string]string { return b.set }
