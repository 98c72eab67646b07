package raft

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/strom-project/strom/internal/testutil"
)

// Tests of a real multi-voter group: every node has its own directory, a
// TCPTransport and a listener on 127.0.0.1.

const (
	testTick = 20 * time.Millisecond
	// testWait bounds every wait for the cluster; elections take a few
	// hundred milliseconds, but -race on two cores is slow.
	testWait = 15 * time.Second
)

// clusterOptions configures newCluster.
type clusterOptions struct {
	Voters        int
	Observers     int    // node ids Voters.. Voters+Observers-1: learners, no listener
	SnapshotEvery uint64 // 0: the default
}

type testCluster struct {
	t     *testing.T
	opts  clusterOptions
	ids   []int32
	addrs map[int32]string
	nodes []*testNode
}

type testNode struct {
	id       int32
	dir      string
	observer bool          // a learner: dials the voters, has no listener
	ln       *testListener // nil for an observer
	tr       *TCPTransport
	n        *Node // nil while down
	sm       *listSM
}

// newCluster starts opts.Voters nodes (node ids 0..Voters-1) and stops
// them all at the end of the test, checking nothing leaked.
func newCluster(t *testing.T, opts clusterOptions) *testCluster {
	t.Helper()
	c := &testCluster{t: t, opts: opts, addrs: map[int32]string{}}
	for i := range opts.Voters {
		ln := newTestListener(t)
		id := int32(i)
		c.ids = append(c.ids, id)
		c.addrs[id] = ln.addr()
		c.nodes = append(c.nodes, &testNode{id: id, dir: t.TempDir(), ln: ln})
	}
	for i := range opts.Observers {
		c.nodes = append(c.nodes, &testNode{id: int32(opts.Voters + i), dir: t.TempDir(), observer: true})
	}
	t.Cleanup(func() {
		for i := range c.nodes {
			c.stop(i)
		}
		for _, nd := range c.nodes {
			if nd.ln != nil {
				nd.ln.close()
			}
		}
		checkNoLeaks(t)
	})
	for i := range c.nodes {
		c.start(i)
	}
	return c
}

// start (re)starts node i from its directory with a fresh state machine.
func (c *testCluster) start(i int) {
	c.t.Helper()
	nd := c.nodes[i]
	nd.sm = &listSM{}
	nd.tr = NewTCPTransport(nd.id, c.addrs, quietLogger(), TCPOptions{Observer: nd.observer})
	n, err := Start(Config{
		NodeID: nd.id, Voters: c.ids, Dir: nd.dir, Bootstrap: []byte("boot"),
		StateMachine: nd.sm, Transport: nd.tr, TickInterval: testTick,
		SnapshotEvery: c.opts.SnapshotEvery, Logger: quietLogger(),
	})
	if err != nil {
		c.t.Fatal(err)
	}
	nd.tr.SetNode(n)
	if nd.ln != nil {
		nd.ln.tr.Store(nd.tr)
	}
	nd.n = n
}

// stop shuts node i down cleanly: Stop (a leader hands over leadership),
// then the transport.
func (c *testCluster) stop(i int) {
	nd := c.nodes[i]
	if nd.n == nil {
		return
	}
	if err := nd.n.Stop(); err != nil {
		c.t.Errorf("stop node %d: %v", nd.id, err)
	}
	if nd.ln != nil {
		nd.ln.tr.Store(nil)
	}
	nd.tr.Close()
	nd.n = nil
}

// crash cuts node i off the network before stopping it, so it can hand
// nothing over: the others must notice and elect.
func (c *testCluster) crash(i int) {
	nd := c.nodes[i]
	nd.ln.tr.Store(nil)
	nd.tr.Close()
	if err := nd.n.Stop(); err != nil {
		c.t.Errorf("stop node %d: %v", nd.id, err)
	}
	nd.n = nil
}

// waitLeader waits until exactly one running node is active and every
// running node names it leader, and returns its index.
func (c *testCluster) waitLeader() int {
	c.t.Helper()
	leader := -1
	testutil.WaitFor(c.t, testWait, func() error {
		leader = -1
		for i, nd := range c.nodes {
			if nd.n == nil || !nd.n.IsActive() {
				continue
			}
			if leader >= 0 {
				return fmt.Errorf("nodes %d and %d both active", leader, i)
			}
			leader = i
		}
		if leader < 0 {
			return errors.New("no active leader")
		}
		for _, nd := range c.nodes {
			if nd.n != nil && nd.n.Leader() != c.nodes[leader].id {
				return fmt.Errorf("node %d says leader %d, node %d is active", nd.id, nd.n.Leader(), leader)
			}
		}
		return nil
	})
	return leader
}

// waitSame waits until every running node's state machine holds want.
func (c *testCluster) waitSame(want []string) {
	c.t.Helper()
	testutil.WaitFor(c.t, testWait, func() error {
		for _, nd := range c.nodes {
			if nd.n == nil {
				continue
			}
			if got := nd.sm.list(); !slices.Equal(got, want) {
				return fmt.Errorf("node %d has %d entries %v, want %d", nd.id, len(got), tail(got), len(want))
			}
		}
		return nil
	})
}

func tail(s []string) []string { return s[max(0, len(s)-3):] }

func waitReady(t *testing.T, n *Node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	if err := n.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
}

// testListener is the CONTROLLER listener's part in the raft protocol: it
// reads the preface and hands the connection to the current transport.
type testListener struct {
	ln net.Listener
	tr atomic.Pointer[TCPTransport] // nil while the node is down
	wg sync.WaitGroup
}

func newTestListener(t *testing.T) *testListener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &testListener{ln: ln}
	l.wg.Go(l.accept)
	return l
}

func (l *testListener) addr() string { return l.ln.Addr().String() }

func (l *testListener) accept() {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		l.wg.Go(func() {
			c.SetReadDeadline(time.Now().Add(testWait))
			var pre [4]byte
			if _, err := io.ReadFull(c, pre[:]); err != nil || binary.BigEndian.Uint32(pre[:]) != RaftPreface {
				c.Close()
				return
			}
			tr := l.tr.Load()
			if tr == nil {
				c.Close()
				return
			}
			c.SetReadDeadline(time.Time{})
			tr.ServeConn(c)
		})
	}
}

// close stops accepting and waits for the handlers; the transports must
// be closed already (they end their ServeConn calls).
func (l *testListener) close() {
	l.ln.Close()
	l.wg.Wait()
}

// checkNoLeaks fails t if a goroutine of this package outlives Close/Stop.
func checkNoLeaks(t *testing.T) {
	t.Helper()
	ours := []string{"raft.(*Node).run", "raft.(*peer).", "raft.(*TCPTransport).ServeConn", "raft.(*TCPTransport).serveObserver", "raft.(*testListener)"}
	testutil.WaitFor(t, 5*time.Second, func() error {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		for _, g := range strings.Split(string(buf), "\n\n") {
			for _, f := range ours {
				if strings.Contains(g, f) {
					return fmt.Errorf("leaked goroutine:\n%s", g)
				}
			}
		}
		return nil
	})
}
