package layout

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// contractKeys are the settings Properties generates, in the order written.
var contractKeys = []string{
	"node.id",
	"process.roles",
	"controller.quorum.voters",
	"controller.listener.names",
	"listeners",
	"inter.broker.listener.name",
	"log.dirs",
	"default.replication.factor",
	"offsets.topic.replication.factor",
	"admin.listener",
}

// PerNode are the settings that differ between nodes or tie the nodes
// together; one value for every node would break the cluster, so callers
// that take user settings for all nodes refuse them.
var PerNode = []string{
	"node.id", "listeners", "advertised.listeners", "controller.quorum.voters",
	"log.dirs", "log.dir", "metadata.log.dir", "admin.listener",
}

// Properties returns the server.properties of the node at index i
// (node.id i+1): the contract in the package documentation, then extra
// (later wins).
func (c Cluster) Properties(i int, extra map[string]string) map[string]string {
	n := c.Nodes[i]
	rf := strconv.Itoa(min(3, len(c.Brokers())))
	var listeners []string
	if n.Broker {
		listeners = append(listeners, fmt.Sprintf("%s://%s", ClientListener, n.Addr()))
	}
	if n.Controller {
		listeners = append(listeners, fmt.Sprintf("%s://%s", ControllerListener, n.ControllerAddr()))
	}
	p := map[string]string{
		"node.id":                          strconv.Itoa(int(n.ID)),
		"process.roles":                    n.Roles(),
		"controller.quorum.voters":         c.Voters(),
		"controller.listener.names":        ControllerListener,
		"listeners":                        strings.Join(listeners, ","),
		"log.dirs":                         n.DataDir(),
		"default.replication.factor":       rf,
		"offsets.topic.replication.factor": rf,
		// N nodes on one host cannot share admin.listener's default
		// port: each gets its own, or port 0 and logs the one it got.
		"admin.listener": n.AdminAddr(),
	}
	if n.Broker {
		p["inter.broker.listener.name"] = ClientListener
	}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

// Write creates every node's directory and writes its server.properties
// (Properties with extra), replacing an older file; data is left alone.
func (c Cluster) Write(extra map[string]string) error {
	for i, n := range c.Nodes {
		if err := os.MkdirAll(n.Dir, 0o755); err != nil {
			return fmt.Errorf("layout: %w", err)
		}
		header := fmt.Sprintf("Node %d of a %d-node local Strom cluster; written by strom, rewritten on every start.", n.ID, len(c.Nodes))
		if err := os.WriteFile(n.ConfigPath(), Format(c.Properties(i, extra), header), 0o644); err != nil {
			return fmt.Errorf("layout: %w", err)
		}
	}
	return nil
}

// Format renders props in Java .properties syntax under a '#' header: the
// contract's keys first in their documented order, then the rest sorted.
func Format(props map[string]string, header string) []byte {
	var b bytes.Buffer
	if header != "" {
		fmt.Fprintf(&b, "# %s\n", header)
	}
	var rest []string
	for k := range props {
		if !slices.Contains(contractKeys, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	for _, k := range append(slices.Clone(contractKeys), rest...) {
		if v, ok := props[k]; ok {
			fmt.Fprintf(&b, "%s=%s\n", escape(k, true), escape(v, false))
		}
	}
	return b.Bytes()
}

// escape makes s read back unchanged by config.ParseProperties: backslashes
// and control characters always, separators in keys, leading blanks in values.
func escape(s string, key bool) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\f':
			b.WriteString(`\f`)
		case key && (r == '=' || r == ':' || r == ' '), !key && i == 0 && r == ' ':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
