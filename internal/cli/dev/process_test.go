package dev

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/teststrom"
	"github.com/strom-project/strom/internal/testutil"
	"github.com/strom-project/strom/internal/wire"
)

// Bounds of the process test's steps.
const (
	devReadyTimeout = 2 * time.Minute // `strom dev cluster` printing the bootstrap servers
	devOpTimeout    = 60 * time.Second
	devExitTimeout  = stopTimeout + reapTimeout + 15*time.Second
)

// TestDevClusterProcess runs the real binary: `strom dev cluster --nodes 3`
// must form one cluster of three brokers that takes an RF=3 topic, stop
// every node on SIGINT with exit status 0, and, run again on the same
// directory, serve the same data.
func TestDevClusterProcess(t *testing.T) {
	bin, err := teststrom.Build(t.Context())
	if err != nil {
		t.Fatalf("building strom: %v", err)
	}
	base, ctrlBase, adminBase := freeRanges(t, 3)
	args := []string{"dev", "cluster", "--nodes", "3", "--dir", filepath.Join(t.TempDir(), "dev"),
		"--base-port", strconv.Itoa(base), "--controller-base-port", strconv.Itoa(ctrlBase), "--admin-base-port", strconv.Itoa(adminBase),
		"--override", "group.initial.rebalance.delay.ms=0"}
	const topic, records = "dev-smoke", 100

	p := startDev(t, bin, args...)
	seeds := strings.Split(p.waitLine(t, "bootstrap servers: ", devReadyTimeout), ",")
	if len(seeds) != 3 || seeds[0] != "127.0.0.1:"+strconv.Itoa(base) || len(p.pids) != 3 {
		t.Fatalf("bootstrap servers %v and node pids %v, want 3 from port %d", seeds, p.pids, base)
	}
	// Each node's admin listener is on its own port from --admin-base-port.
	if resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/health", adminBase+1)); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("node 2's /health on port %d: %v %v", adminBase+1, resp, err)
	} else {
		resp.Body.Close()
	}
	cl := newClient(t, seeds)
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(t.Context(), devOpTimeout)
	defer cancel()
	if err := testutil.Poll(devOpTimeout, func() error {
		// Asked of a broker: kadm's BrokerMetadata answers from the
		// client's cached broker list, refreshed only every 5 minutes.
		md, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl)
		if err == nil && len(md.Brokers) != 3 {
			err = fmt.Errorf("metadata lists %d brokers, want 3", len(md.Brokers))
		}
		return err
	}); err != nil {
		t.Fatalf("one cluster of 3 brokers: %v\n%s\n%s", err, perNodeBrokers(seeds), p.stderrTail())
	}
	resp, err := adm.CreateTopic(ctx, 3, 3, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("creating %s with RF=3: %v\n%s", topic, err, p.stderrTail())
	}
	for i := range records {
		r := &kgo.Record{Topic: topic, Value: []byte(strconv.Itoa(i))}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatalf("producing record %d: %v\n%s", i, err, p.stderrTail())
		}
	}
	if n := consumeAll(t, seeds, topic, records); n != records {
		t.Fatalf("read %d records, want %d\n%s", n, records, p.stderrTail())
	}
	cl.Close()
	p.interrupt(t)

	// Again on the same directory: the same cluster, the same data.
	p = startDev(t, bin, args...)
	seeds = strings.Split(p.waitLine(t, "bootstrap servers: ", devReadyTimeout), ",")
	if n := consumeAll(t, seeds, topic, records); n != records {
		t.Fatalf("after a restart read %d records, want %d\n%s", n, records, p.stderrTail())
	}
	p.interrupt(t)
}

// devProcess is one `strom dev cluster` process.
type devProcess struct {
	cmd    *exec.Cmd
	lines  chan string // stdout, line by line; closed at EOF
	stderr string      // file receiving stderr: the nodes' output
	pids   map[int32]int
	exited chan struct{}
	err    error // Wait's; valid once exited is closed
}

func startDev(t *testing.T, bin string, args ...string) *devProcess {
	t.Helper()
	p := &devProcess{cmd: exec.Command(bin, args...), lines: make(chan string, 64),
		stderr: filepath.Join(t.TempDir(), "stderr"), pids: map[int32]int{}, exited: make(chan struct{})}
	errf, err := os.Create(p.stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer errf.Close()
	p.cmd.Stderr = errf
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		// A failed test may leave the supervisor running: SIGKILL it
		// and, since Pdeathsig stops them, its nodes follow.
		_ = p.cmd.Process.Kill()
		for _, pid := range p.pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	return p
}

var pidLine = regexp.MustCompile(`^strom dev: node (\d+): pid (\d+),`)

// waitLine returns the rest of the first stdout line starting with prefix,
// noting node pids on the way.
func (p *devProcess) waitLine(t *testing.T, prefix string, timeout time.Duration) string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				<-p.exited
				t.Fatalf("strom dev cluster exited (%v) before printing %q\n%s", p.err, prefix, p.stderrTail())
			}
			if m := pidLine.FindStringSubmatch(line); m != nil {
				id, _ := strconv.Atoi(m[1])
				pid, _ := strconv.Atoi(m[2])
				p.pids[int32(id)] = pid
			}
			if rest, ok := strings.CutPrefix(line, prefix); ok {
				return rest
			}
		case <-deadline:
			t.Fatalf("strom dev cluster printed no %q within %v\n%s", prefix, timeout, p.stderrTail())
		}
	}
}

// interrupt sends SIGINT and requires exit status 0 and every node gone.
func (p *devProcess) interrupt(t *testing.T) {
	t.Helper()
	if len(p.pids) == 0 {
		t.Fatal("no node pids printed")
	}
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range p.lines { // drain: the supervisor reports the stop on stdout
		}
	}()
	select {
	case <-p.exited:
	case <-time.After(devExitTimeout):
		t.Fatalf("strom dev cluster still running %v after SIGINT\n%s", devExitTimeout, p.stderrTail())
	}
	if p.err != nil {
		t.Fatalf("strom dev cluster exited with %v after SIGINT\n%s", p.err, p.stderrTail())
	}
	for id, pid := range p.pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("node %d (pid %d) still exists after the supervisor exited: %v", id, pid, err)
		}
	}
	clear(p.pids) // gone: the cleanup must not signal pids the OS may reuse
}

func (p *devProcess) stderrTail() string {
	data, _ := os.ReadFile(p.stderr)
	lines := strings.Split(string(data), "\n")
	return "--- strom dev cluster stderr (tail) ---\n" + strings.Join(lines[max(0, len(lines)-60):], "\n")
}

// freeRanges finds three ranges of n free loopback ports, far enough apart.
func freeRanges(t *testing.T, n int) (base, ctrlBase, adminBase int) {
	t.Helper()
	free := func(from int) bool {
		for p := from; p < from+n; p++ {
			l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
			if err != nil {
				return false
			}
			l.Close()
		}
		return true
	}
	for range 100 {
		base = 20000 + rand.IntN(20000)
		if ctrlBase, adminBase = base+100, base+200; free(base) && free(ctrlBase) && free(adminBase) {
			return base, ctrlBase, adminBase
		}
	}
	t.Fatalf("no three ranges of %d free ports found", n)
	return 0, 0, 0
}

func newClient(t *testing.T, seeds []string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(seeds...), kgo.RecordPartitioner(kgo.RoundRobinPartitioner())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// consumeAll reads topic from the start until want records arrived or
// devOpTimeout passed, and returns how many it read.
func consumeAll(t *testing.T, seeds []string, topic string, want int) int {
	t.Helper()
	cl := newClient(t, seeds, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	defer cl.Close()
	ctx, cancel := context.WithTimeout(t.Context(), devOpTimeout)
	defer cancel()
	n := 0
	for n < want && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		n += fs.NumRecords()
	}
	return n
}

// perNodeBrokers asks every node directly which brokers its metadata
// lists, for failure messages.
func perNodeBrokers(seeds []string) string {
	var b strings.Builder
	for _, s := range seeds {
		cl := wire.NewClient(s, "dev-test")
		req := kmsg.NewPtrMetadataRequest()
		req.SetVersion(12)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		resp, err := cl.Do(ctx, req)
		cancel()
		cl.Close()
		if err != nil {
			fmt.Fprintf(&b, "%s: %v\n", s, err)
			continue
		}
		var ids []int32
		for _, br := range resp.(*kmsg.MetadataResponse).Brokers {
			ids = append(ids, br.NodeID)
		}
		fmt.Fprintf(&b, "%s lists brokers %v, controller %d\n", s, ids, resp.(*kmsg.MetadataResponse).ControllerID)
	}
	return b.String()
}
