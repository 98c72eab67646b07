package fault

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
)

// netEnv gives each node a network namespace of its own, joined by a
// bridge in the test's namespace: node i is 10.213.K.i and the test's
// clients are 10.213.K.254, so faults can cut links between nodes (and
// leave the clients' links alone). It needs root; without it the suite
// runs on loopback and skips the network fault kinds.
type netEnv struct {
	k      int
	bridge string
	ns     []string
	ips    []string
}

var errNotRoot = errors.New("network faults need root (network namespaces)")

// netRuns makes each run's names and subnet unique within this process;
// the pid keeps concurrent test processes apart.
var netRuns atomic.Int32

func newNetEnv(t *testing.T, nodes int) (*netEnv, error) {
	if os.Geteuid() != 0 {
		return nil, errNotRoot
	}
	for _, tool := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("network faults need %s (iproute2, nftables): %w", tool, err)
		}
	}
	k := (os.Getpid()*7+int(netRuns.Add(1)))%230 + 20
	e := &netEnv{k: k, bridge: fmt.Sprintf("sbr%d", k)}
	t.Cleanup(e.teardown)
	if err := ipRun("link", "add", e.bridge, "type", "bridge"); err != nil {
		return nil, err
	}
	steps := [][]string{
		{"addr", "add", e.clientIP() + "/24", "dev", e.bridge},
		{"link", "set", e.bridge, "up"},
	}
	for i := 1; i <= nodes; i++ {
		ns, host, peer := fmt.Sprintf("strom-%d-%d", k, i), fmt.Sprintf("sv%dh%d", k, i), fmt.Sprintf("sv%dn%d", k, i)
		e.ns, e.ips = append(e.ns, ns), append(e.ips, fmt.Sprintf("10.213.%d.%d", k, i))
		steps = append(steps,
			[]string{"netns", "add", ns},
			[]string{"link", "add", host, "type", "veth", "peer", "name", peer},
			[]string{"link", "set", host, "master", e.bridge, "up"},
			[]string{"link", "set", peer, "netns", ns},
			[]string{"-n", ns, "addr", "add", e.ips[i-1] + "/24", "dev", peer},
			[]string{"-n", ns, "link", "set", peer, "up"},
			[]string{"-n", ns, "link", "set", "lo", "up"},
		)
	}
	for _, s := range steps {
		if err := ipRun(s...); err != nil {
			return nil, err
		}
	}
	if err := e.setupFirewall(); err != nil {
		return nil, fmt.Errorf("network faults need nftables: %w", err)
	}
	return e, nil
}

func (e *netEnv) clientIP() string { return fmt.Sprintf("10.213.%d.254", e.k) }

// wrap runs node id inside its namespace; ip netns exec execs the binary
// in place, so signals reach strom itself.
func (e *netEnv) wrap(id int32) []string { return []string{"ip", "netns", "exec", e.ns[id-1]} }

// Each namespace holds an nftables table with an output chain: faults add
// drop rules there, and heal flushes it. Only traffic between nodes is
// touched; the clients (the bridge's address) always get through.
const nftTable = "strom_fault"

func (e *netEnv) nft(id int32, rule ...string) error {
	return run("ip", append([]string{"netns", "exec", e.ns[id-1], "nft"}, rule...)...)
}

func (e *netEnv) setupFirewall() error {
	for i := range e.ns {
		id := int32(i + 1)
		if err := e.nft(id, "add", "table", "inet", nftTable); err != nil {
			return err
		}
		if err := e.nft(id, "add", "chain", "inet", nftTable, "out", "{ type filter hook output priority 0; }"); err != nil {
			return err
		}
	}
	return nil
}

// drop adds a rule to node from's output chain, e.g. "ip daddr X drop".
func (e *netEnv) drop(from int32, match ...string) error {
	return e.nft(from, append([]string{"add", "rule", "inet", nftTable, "out"}, append(match, "drop")...)...)
}

// cut drops everything node from sends to node to.
func (e *netEnv) cut(from, to int32) error { return e.drop(from, "ip", "daddr", e.ips[to-1]) }

// cutPort drops what node from sends to node to's port.
func (e *netEnv) cutPort(from, to int32, port int) error {
	return e.drop(from, "ip", "daddr", e.ips[to-1], "tcp", "dport", fmt.Sprint(port))
}

// lossy drops pct% of what node id sends to the other nodes.
func (e *netEnv) lossy(id int32, pct int) error {
	return e.drop(id, "ip", "daddr", fmt.Sprintf("10.213.%d.0/24", e.k), "ip", "daddr", "!=", e.clientIP(),
		"numgen", "random", "mod", "100", "<", fmt.Sprint(pct))
}

// healAll removes every fault rule.
func (e *netEnv) healAll() error {
	var errs []error
	for i := range e.ns {
		errs = append(errs, e.nft(int32(i+1), "flush", "chain", "inet", nftTable, "out"))
	}
	return errors.Join(errs...)
}

// teardown removes the namespaces (and their veths) and the bridge; the
// nodes have been killed by then (cluster cleanup runs first).
func (e *netEnv) teardown() {
	for _, ns := range e.ns {
		_ = ipRun("netns", "del", ns)
	}
	_ = ipRun("link", "del", e.bridge)
}

func ipRun(args ...string) error { return run("ip", args...) }

func run(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
