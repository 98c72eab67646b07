package dev

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/strom-project/strom/internal/cli/dev/layout"
	"github.com/strom-project/strom/internal/teststrom"
	"github.com/strom-project/strom/internal/testutil"
)

func TestMain(m *testing.M) {
	code := m.Run()
	teststrom.RemoveBinary()
	os.Exit(code)
}

// execute runs `dev args...` in-process and returns stdout, stderr and the
// error. Only use it where the command fails before starting a node: the
// nodes would run the test binary.
func execute(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	return testutil.RunCommand(NewCommand(), 30*time.Second, "", args...)
}

func TestHelp(t *testing.T) {
	out, _, err := execute(t, "cluster", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--nodes", "--dir", "--base-port", "--controller-base-port", "--override", "--timeout",
		"strom dev cluster --nodes 5", "STROM_BROKERS="} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q:\n%s", want, out)
		}
	}
}

// TestInvalidFlags covers everything refused before a node starts.
func TestInvalidFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no nodes", []string{"--nodes", "0"}, "--nodes 0: want 1 to 16"},
		{"too many nodes", []string{"--nodes", "17"}, "--nodes 17: want 1 to 16"},
		{"ports past 65535", []string{"--base-port", "65534"}, "--base-port 65534: 3 nodes need ports 65534-65536, within 1-65535"},
		{"controller port 0", []string{"--controller-base-port", "0"}, "--controller-base-port 0"},
		{"overlapping ports", []string{"--base-port", "9092", "--controller-base-port", "9094"},
			"--base-port ports 9092-9094 and --controller-base-port ports 9094-9096 overlap"},
		{"admin ports overlap", []string{"--admin-base-port", "19094"}, "--controller-base-port ports 19093-19095 and --admin-base-port ports 19094-19096 overlap"},
		{"override without =", []string{"--override", "num.partitions"}, `--override "num.partitions": want key=value`},
		{"per-node override", []string{"--override", "node.id=4"}, "--override node.id: strom dev cluster sets it for each node"},
		{"unknown config", []string{"--override", "no.such.config=1"}, `node 1: config: unknown configuration "no.such.config"`},
		{"invalid value", []string{"--override", "num.partitions=zero"}, "num.partitions"},
		{"zero timeout", []string{"--timeout", "0s"}, "--timeout 0s"},
		{"arguments", []string{"extra"}, "unknown command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "dev")
			_, _, err := execute(t, append([]string{"cluster", "--dir", dir}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if _, serr := os.Stat(dir); !os.IsNotExist(serr) {
				t.Errorf("a refused run created %s", dir)
			}
		})
	}
}

// TestPlan checks the configuration the flags lead to: the layout's
// contract plus the dev cluster's settings and the user's overrides.
func TestPlan(t *testing.T) {
	dir := t.TempDir()
	f := clusterFlags{nodes: 3, dir: dir, basePort: 9092, controllerBasePort: 19093, timeout: time.Minute,
		overrides: []string{"num.partitions=6", "log.segment.bytes=1048576"}}
	plan, settings, err := f.plan()
	if err != nil {
		t.Fatal(err)
	}
	if err := plan.Write(settings); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "node-3", "server.properties"))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.ReplaceAll(`# Node 3 of a 3-node local Strom cluster; written by strom, rewritten on every start.
node.id=3
process.roles=broker,controller
controller.quorum.voters=1@127.0.0.1:19093,2@127.0.0.1:19094,3@127.0.0.1:19095
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:9094,CONTROLLER://127.0.0.1:19095
inter.broker.listener.name=PLAINTEXT
log.dirs=DIR/node-3/data
default.replication.factor=3
offsets.topic.replication.factor=3
admin.listener=127.0.0.1:0
log.segment.bytes=1048576
min.insync.replicas=2
num.partitions=6
`, "DIR", dir)
	if string(got) != want {
		t.Errorf("node-3/server.properties:\n%s\nwant:\n%s", got, want)
	}

	f.nodes, f.overrides = 2, nil
	plan, settings, err = f.plan()
	if err != nil {
		t.Fatal(err)
	}
	p := plan.Properties(1, settings)
	if _, ok := p["min.insync.replicas"]; ok || p["default.replication.factor"] != "2" {
		t.Errorf("2 nodes: min.insync.replicas %q, default.replication.factor %q; want unset and 2", p["min.insync.replicas"], p["default.replication.factor"])
	}
	if err := checkDir(plan); err == nil || !strings.Contains(err.Error(), "holds a 3-node cluster") {
		t.Errorf("checkDir of a 3-node dir for 2 nodes: %v", err)
	}
	f.nodes = 4
	plan, _, _ = f.plan()
	if err := checkDir(plan); err == nil || !strings.Contains(err.Error(), "run with --nodes 3") {
		t.Errorf("checkDir of a 3-node dir for 4 nodes: %v", err)
	}
}

// TestPortInUse refuses to start when a node's port is taken, naming it.
func TestPortInUse(t *testing.T) {
	// Node 2's controller port is a taken one. The ports next to it may be
	// taken by another process meanwhile (tests run in parallel): then the
	// refusal names that port, and other ports are tried.
	var out string
	for attempt := 0; ; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		taken := l.Addr().(*net.TCPAddr).Port
		want := "node 2's controller port 127.0.0.1:" + strconv.Itoa(taken) + " is in use"
		ports, err := layout.FreePorts(1)
		if err != nil {
			t.Fatal(err)
		}
		base, ctrlBase := ports[0], taken-1
		if base <= ctrlBase+2 && ctrlBase <= base+2 {
			l.Close()
			continue
		}
		out, _, err = execute(t, "cluster", "--nodes", "3", "--dir", t.TempDir(), "--admin-base-port", "0",
			"--base-port", strconv.Itoa(base), "--controller-base-port", strconv.Itoa(ctrlBase))
		l.Close()
		if err != nil && strings.Contains(err.Error(), want) {
			break
		}
		if err == nil || !strings.Contains(err.Error(), "is in use") || attempt == 9 {
			t.Fatalf("error %v, want one containing %q", err, want)
		}
	}
	if strings.Contains(out, "pid") {
		t.Errorf("nodes were started:\n%s", out)
	}
}

func TestNodeOutputPrefixesLines(t *testing.T) {
	var file, term bytes.Buffer
	o := &nodeOutput{file: &file, prefix: "[node-2] ", w: &term}
	for _, s := range []string{"one\ntw", "o\n", "three"} {
		if n, err := o.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	o.flush()
	if want := "[node-2] one\n[node-2] two\n[node-2] three\n"; term.String() != want {
		t.Errorf("terminal got %q, want %q", term.String(), want)
	}
	if want := "one\ntwo\nthree"; file.String() != want {
		t.Errorf("log file got %q, want %q", file.String(), want)
	}
}

// TestPlanRoles: --voters and --dedicated-controllers give each node its
// process.roles and only the listeners of its roles.
func TestPlanRoles(t *testing.T) {
	for _, tc := range []struct {
		name      string
		voters    int
		dedicated bool
		roles     []string // per node
		bootstrap int
		minISR    string
	}{
		{"observers", 3, false, []string{"broker,controller", "broker,controller", "broker,controller", "broker"}, 4, "2"},
		{"dedicated", 2, true, []string{"controller", "controller", "broker", "broker"}, 2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := clusterFlags{nodes: 4, voters: tc.voters, dedicated: tc.dedicated, dir: t.TempDir(),
				basePort: 9092, controllerBasePort: 19093, timeout: time.Minute}
			plan, settings, err := f.plan()
			if err != nil {
				t.Fatal(err)
			}
			if got := len(plan.Bootstrap()); got != tc.bootstrap {
				t.Errorf("bootstrap has %d brokers, want %d", got, tc.bootstrap)
			}
			if settings["min.insync.replicas"] != tc.minISR {
				t.Errorf("min.insync.replicas %q, want %q", settings["min.insync.replicas"], tc.minISR)
			}
			for i, want := range tc.roles {
				p := plan.Properties(i, settings)
				if p["process.roles"] != want {
					t.Errorf("node %d: process.roles %q, want %q", i+1, p["process.roles"], want)
				}
				if hasClient := strings.Contains(p["listeners"], "PLAINTEXT://"); hasClient != strings.Contains(want, "broker") {
					t.Errorf("node %d (%s): listeners %q", i+1, want, p["listeners"])
				}
				if hasCtrl := strings.Contains(p["listeners"], "CONTROLLER://"); hasCtrl != strings.Contains(want, "controller") {
					t.Errorf("node %d (%s): listeners %q", i+1, want, p["listeners"])
				}
				if v := p["controller.quorum.voters"]; strings.Count(v, "@") != tc.voters {
					t.Errorf("node %d: voters %q, want %d", i+1, v, tc.voters)
				}
			}
		})
	}
	f := clusterFlags{nodes: 3, voters: 3, dedicated: true, dir: t.TempDir(), basePort: 9092, controllerBasePort: 19093, timeout: time.Minute}
	if _, _, err := f.plan(); err == nil || !strings.Contains(err.Error(), "at least one broker") {
		t.Fatalf("every node a dedicated controller: %v", err)
	}
}
