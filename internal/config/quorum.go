package config

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
)

// Voter is one controller.quorum.voters entry: id@host:port, the address
// of that node's CONTROLLER listener.
type Voter struct {
	ID   int32
	Host string
	Port int32
}

// Addr is host:port.
func (v Voter) Addr() string { return net.JoinHostPort(v.Host, strconv.Itoa(int(v.Port))) }

// parseVoters parses controller.quorum.voters.
func parseVoters(entries []string) ([]Voter, error) {
	var out []Voter
	seen := map[int32]bool{}
	for _, e := range entries {
		id, hostport, ok := strings.Cut(e, "@")
		if !ok {
			return nil, fmt.Errorf("config: controller.quorum.voters entry %q: want id@host:port", e)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(id), 10, 32)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("config: controller.quorum.voters entry %q: bad node id", e)
		}
		host, port, err := net.SplitHostPort(strings.TrimSpace(hostport))
		if err != nil {
			return nil, fmt.Errorf("config: controller.quorum.voters entry %q: %w", e, err)
		}
		p, err := strconv.ParseUint(port, 10, 16)
		if err != nil || p == 0 {
			return nil, fmt.Errorf("config: controller.quorum.voters entry %q: bad port", e)
		}
		if seen[int32(n)] {
			return nil, fmt.Errorf("config: controller.quorum.voters names node %d twice", n)
		}
		seen[int32(n)] = true
		out = append(out, Voter{ID: int32(n), Host: host, Port: int32(p)})
	}
	return out, nil
}

// resolveQuorum fills the quorum fields and checks they fit together, with
// Kafka's rules for process.roles: a node with the controller role is a
// voter and has a controller listener; a broker-only node (an observer of
// the metadata log) is not a voter and does not listen as a controller; a
// controller-only node has no client listeners.
func (b *Broker) resolveQuorum() error {
	b.Roles = b.List("process.roles")
	if len(b.Roles) == 0 {
		return fmt.Errorf("config: process.roles must name broker, controller or both")
	}
	for _, n := range b.List("controller.listener.names") {
		b.ControllerListenerNames = append(b.ControllerListenerNames, strings.ToUpper(n))
	}
	var err error
	if b.Voters, err = parseVoters(b.List("controller.quorum.voters")); err != nil {
		return err
	}
	voter := slices.ContainsFunc(b.Voters, func(v Voter) bool { return v.ID == b.NodeID })
	switch {
	case len(b.Voters) == 0 && !b.IsCombined():
		return fmt.Errorf("config: process.roles=%s needs controller.quorum.voters: only a broker,controller node can form a quorum alone",
			b.Get("process.roles"))
	case len(b.Voters) > 0 && b.IsController() && !voter:
		return fmt.Errorf("config: node.id %d is not in controller.quorum.voters (%s); a node with the controller role must be a voter",
			b.NodeID, b.Get("controller.quorum.voters"))
	case !b.IsController() && voter:
		return fmt.Errorf("config: node.id %d is in controller.quorum.voters but process.roles=%s: a voter must have the controller role",
			b.NodeID, b.Get("process.roles"))
	case len(b.Voters) > 0 && b.IsController() && b.ControllerListener() == nil:
		return fmt.Errorf("config: listeners must include a controller listener (%s) when controller.quorum.voters is set",
			strings.Join(b.ControllerListenerNames, ","))
	case !b.IsController() && b.ControllerListener() != nil:
		return fmt.Errorf("config: listeners must not include the controller listener %s when process.roles=broker: controllers listen there",
			b.ControllerListener().Name)
	}
	if !b.IsBroker() {
		for _, l := range b.Listeners {
			if !b.IsControllerListener(l.Name) {
				return fmt.Errorf("config: listeners may only contain controller listeners (%s) when process.roles=controller, not %s",
					strings.Join(b.ControllerListenerNames, ","), l.Name)
			}
		}
		return nil
	}
	ib := strings.ToUpper(b.Get("inter.broker.listener.name"))
	if ib == "" {
		for _, l := range b.Listeners {
			if !slices.Contains(b.ControllerListenerNames, l.Name) {
				ib = l.Name
				break
			}
		}
	}
	if !slices.ContainsFunc(b.Listeners, func(l Listener) bool { return l.Name == ib }) || slices.Contains(b.ControllerListenerNames, ib) {
		return fmt.Errorf("config: inter.broker.listener.name %q must name a listener in listeners that is not a controller listener", ib)
	}
	b.InterBrokerListener = ib
	return nil
}

// IsBroker reports whether this node has the broker role.
func (b *Broker) IsBroker() bool { return slices.Contains(b.Roles, "broker") }

// IsController reports whether this node has the controller role (is a
// metadata quorum voter).
func (b *Broker) IsController() bool { return slices.Contains(b.Roles, "controller") }

// IsCombined reports whether this node is both (KRaft combined mode).
func (b *Broker) IsCombined() bool { return b.IsBroker() && b.IsController() }

// ControllerListener is the first listener named in
// controller.listener.names, or nil.
func (b *Broker) ControllerListener() *Listener {
	for i, l := range b.Listeners {
		if slices.Contains(b.ControllerListenerNames, l.Name) {
			return &b.Listeners[i]
		}
	}
	return nil
}

// IsControllerListener reports whether name is a controller listener.
func (b *Broker) IsControllerListener(name string) bool {
	return slices.Contains(b.ControllerListenerNames, strings.ToUpper(name))
}

// VoterIDs are the node ids of the quorum's voters (just this node when
// controller.quorum.voters is empty, which only a combined node allows).
func (b *Broker) VoterIDs() []int32 {
	if len(b.Voters) == 0 {
		return []int32{b.NodeID}
	}
	ids := make([]int32, len(b.Voters))
	for i, v := range b.Voters {
		ids[i] = v.ID
	}
	return ids
}
