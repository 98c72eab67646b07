package teststrom

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/strom-project/strom/internal/testutil"
)

// TestStartClusterFailsFast starts a cluster whose nodes refuse their
// configuration: StartCluster must return the node's exit and log at once,
// not wait out ReadyTimeout, and leave no node running.
func TestStartClusterFailsFast(t *testing.T) {
	if _, err := Build(t.Context()); err != nil {
		t.Fatalf("building strom: %v", err)
	}
	dir := t.TempDir()
	start := time.Now()
	c, err := StartCluster(ClusterOptions{Nodes: 3, Dir: dir, Overrides: []string{"no.such.config=1"}, ReadyTimeout: time.Minute})
	if err == nil {
		c.Close()
		t.Fatal("StartCluster with an unknown config succeeded")
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("failing took %v", took)
	}
	for _, want := range []string{"exited before ready", "no.such.config", "=== node 3"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	for id := 1; id <= 3; id++ {
		props, err := os.ReadFile(filepath.Join(dir, "node-"+strconv.Itoa(id), "server.properties"))
		if err != nil || !strings.Contains(string(props), "controller.quorum.voters=1@127.0.0.1:") {
			t.Errorf("node %d server.properties: %v\n%s", id, err, props)
		}
	}
}

// TestClusterLifecycle starts three nodes, kills one, restarts it on the
// same ports and data, and closes the cluster twice. It needs a build
// where nodes form one cluster.
func TestClusterLifecycle(t *testing.T) {
	c, err := StartCluster(ClusterOptions{Nodes: 3, Dir: t.TempDir(), ReadyTimeout: 45 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if len(c.Bootstrap()) != 3 || c.Node(2).Addr() != c.Bootstrap()[1] || c.Node(4) != nil {
		t.Fatalf("bootstrap %v, node 2 at %s", c.Bootstrap(), c.Node(2).Addr())
	}
	ctx := t.Context()
	var ctrl int32
	testutil.WaitFor(t, 30*time.Second, func() (err error) {
		ctrl, err = c.ActiveController(ctx)
		return err
	})
	victim := c.Node(ctrl)
	addr, ctrlAddr := victim.Addr(), victim.ControllerAddr()
	if err := victim.Kill(); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(c.Running(), ctrl) {
		t.Fatalf("node %d still running after Kill", ctrl)
	}
	testutil.WaitFor(t, 30*time.Second, func() error {
		id, err := c.ActiveController(ctx)
		if err == nil && id == ctrl {
			return errors.New("the killed node is still named controller")
		}
		return err
	})
	if err := victim.Restart(); err != nil {
		t.Fatalf("restart node %d: %v\n%s", ctrl, err, c.LogTails(40))
	}
	if victim.Addr() != addr || victim.ControllerAddr() != ctrlAddr {
		t.Errorf("restarted node %d on %s/%s, was %s/%s", ctrl, victim.Addr(), victim.ControllerAddr(), addr, ctrlAddr)
	}
	testutil.WaitFor(t, 30*time.Second, func() error { return c.allListed(ctx) })
	c.Close()
	c.Close() // again: a no-op
	if r := c.Running(); len(r) != 0 {
		t.Fatalf("running after Close: %v", r)
	}
}
