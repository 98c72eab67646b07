package layout

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
)

// Host is the address every node listens on: a local cluster is loopback only.
const Host = "127.0.0.1"

// Listener names of the contract.
const (
	ClientListener     = "PLAINTEXT"  // clients and replication between brokers
	ControllerListener = "CONTROLLER" // the metadata quorum (raft)
)

// Node is one node of a local cluster.
type Node struct {
	ID             int32
	Broker         bool   // has the broker role: serves clients
	Controller     bool   // has the controller role: a metadata quorum voter
	Port           int    // PLAINTEXT listener: clients and replication
	ControllerPort int    // CONTROLLER listener: the metadata quorum
	AdminPort      int    // admin.listener (metrics, probes); 0: a free port
	Dir            string // holds server.properties and data/
	// IP the node listens on; empty: Host. Fault tests give each node its
	// own network namespace and address.
	IP string
}

func (n Node) host() string {
	if n.IP != "" {
		return n.IP
	}
	return Host
}

// Addr is the node's client address, host:port.
func (n Node) Addr() string { return net.JoinHostPort(n.host(), strconv.Itoa(n.Port)) }

// ControllerAddr is the node's quorum address, host:port.
func (n Node) ControllerAddr() string {
	return net.JoinHostPort(n.host(), strconv.Itoa(n.ControllerPort))
}

// SetAdminPorts puts node i's admin listener on base+i; base 0 lets each
// node take a free port (the default).
func (c Cluster) SetAdminPorts(base int) {
	for i := range c.Nodes {
		c.Nodes[i].AdminPort = 0
		if base > 0 {
			c.Nodes[i].AdminPort = base + i
		}
	}
}

// AdminAddr is the node's admin.listener, host:port (port 0: a free port).
func (n Node) AdminAddr() string { return net.JoinHostPort(n.host(), strconv.Itoa(n.AdminPort)) }

// ReadyAddr is the address that answers once the node is up: its client
// listener, or the CONTROLLER listener of a controller-only node.
func (n Node) ReadyAddr() string {
	if n.Broker {
		return n.Addr()
	}
	return n.ControllerAddr()
}

// ConfigPath is the node's server.properties.
func (n Node) ConfigPath() string { return filepath.Join(n.Dir, "server.properties") }

// DataDir is the node's log.dirs.
func (n Node) DataDir() string { return filepath.Join(n.Dir, "data") }

// Cluster is the plan of every node; Nodes[i] has node.id i+1.
type Cluster struct {
	Nodes []Node
}

// New lays out len(ports) nodes under dir, node i+1 on ports[i] and
// controllerPorts[i]. Ports must be distinct and in 1..65535.
func New(dir string, ports, controllerPorts []int) (Cluster, error) {
	if len(ports) == 0 {
		return Cluster{}, errors.New("layout: a cluster needs at least one node")
	}
	if len(ports) != len(controllerPorts) {
		return Cluster{}, fmt.Errorf("layout: %d client ports but %d controller ports", len(ports), len(controllerPorts))
	}
	seen := map[int]string{}
	c := Cluster{Nodes: make([]Node, len(ports))}
	for i := range ports {
		id := int32(i + 1)
		for _, p := range []struct {
			port int
			what string
		}{{ports[i], "client"}, {controllerPorts[i], "controller"}} {
			what := fmt.Sprintf("node %d %s port %d", id, p.what, p.port)
			if p.port < 1 || p.port > 65535 {
				return Cluster{}, fmt.Errorf("layout: %s is not in 1..65535", what)
			}
			if other, dup := seen[p.port]; dup {
				return Cluster{}, fmt.Errorf("layout: %s is also %s", what, other)
			}
			seen[p.port] = what
		}
		c.Nodes[i] = Node{ID: id, Broker: true, Controller: true, Port: ports[i], ControllerPort: controllerPorts[i],
			Dir: filepath.Join(dir, "node-"+strconv.Itoa(int(id)))}
	}
	return c, nil
}

// Sequential lays out n nodes under dir on consecutive ports: node i+1 on
// basePort+i and controllerBasePort+i, as `strom dev cluster` does.
func Sequential(dir string, n, basePort, controllerBasePort int) (Cluster, error) {
	if n < 1 {
		return Cluster{}, fmt.Errorf("layout: %d nodes: want at least 1", n)
	}
	ports, ctrl := make([]int, n), make([]int, n)
	for i := range n {
		ports[i], ctrl[i] = basePort+i, controllerBasePort+i
	}
	return New(dir, ports, ctrl)
}

// OnFreePorts lays out n nodes under dir on 2n ports the OS reports free.
// Another process may take a port before the node binds it; tests accept
// that small race, as they do for a single broker.
func OnFreePorts(dir string, n int) (Cluster, error) {
	if n < 1 {
		return Cluster{}, fmt.Errorf("layout: %d nodes: want at least 1", n)
	}
	ports, err := FreePorts(2 * n)
	if err != nil {
		return Cluster{}, err
	}
	return New(dir, ports[:n], ports[n:])
}

// FreePorts returns n distinct loopback ports that were free a moment ago.
// It holds every listener until all are chosen, so the ports differ.
func FreePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", net.JoinHostPort(Host, "0"))
		if err != nil {
			return nil, fmt.Errorf("layout: finding a free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// SetRoles gives the nodes their process.roles; by default every node is
// broker,controller (combined). The first voters nodes are voters; the
// rest are broker-only nodes, metadata observers. With dedicated, the
// voters are controller-only, so the brokers are the other nodes.
func (c Cluster) SetRoles(voters int, dedicated bool) error {
	brokers := len(c.Nodes)
	if dedicated {
		brokers -= voters
	}
	if voters < 1 || voters > len(c.Nodes) || brokers < 1 {
		return fmt.Errorf("layout: %d voters (dedicated %v) in a %d-node cluster: want at least one voter and one broker",
			voters, dedicated, len(c.Nodes))
	}
	for i := range c.Nodes {
		c.Nodes[i].Controller = i < voters
		c.Nodes[i].Broker = !dedicated || i >= voters
	}
	return nil
}

// Roles is the node's process.roles.
func (n Node) Roles() string {
	switch {
	case n.Broker && n.Controller:
		return "broker,controller"
	case n.Controller:
		return "controller"
	}
	return "broker"
}

// Brokers are the nodes with the broker role.
func (c Cluster) Brokers() []Node {
	var out []Node
	for _, n := range c.Nodes {
		if n.Broker {
			out = append(out, n)
		}
	}
	return out
}

// Bootstrap is every broker's client address, in node order.
func (c Cluster) Bootstrap() []string {
	var out []string
	for _, n := range c.Brokers() {
		out = append(out, n.Addr())
	}
	return out
}

// Voters is controller.quorum.voters: id@host:port for every node with
// the controller role.
func (c Cluster) Voters() string {
	var vs []string
	for _, n := range c.Nodes {
		if n.Controller {
			vs = append(vs, fmt.Sprintf("%d@%s", n.ID, n.ControllerAddr()))
		}
	}
	return strings.Join(vs, ",")
}

// Node returns the node with the given id, or false.
func (c Cluster) Node(id int32) (Node, bool) {
	if id < 1 || int(id) > len(c.Nodes) {
		return Node{}, false
	}
	return c.Nodes[id-1], true
}
