package teststrom

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/wire"
)

// Default bounds; Options overrides ReadyTimeout.
const (
	defaultReadyTimeout = 60 * time.Second
	stopTimeout         = 20 * time.Second // SIGTERM to exit, and SIGKILL to reaping
)

// Options describes one broker. Only Dir is required.
type Options struct {
	// Dir holds the broker's data directory (Dir/data, passed as log.dirs)
	// and, unless LogPath is set, its log (Dir/strom.log). Restart reuses it.
	Dir string
	// Overrides are extra `--override key=value` settings, applied after the
	// defaults (later wins): log.dirs, listeners, node.id=1 and
	// log.segment.bytes=8388608 (segments are preallocated; Kafka's 1 GiB
	// default would need a gigabyte of disk per partition).
	Overrides []string
	// ExtraListeners are listeners besides the PLAINTEXT one every broker
	// gets (and readiness is checked on), e.g. "SASL_SSL://127.0.0.1:9093".
	ExtraListeners []string
	// LogPath receives the broker's stdout and stderr; default Dir/strom.log.
	LogPath string
	// Binary is the strom binary to run; default Build's.
	Binary string
	// ReadyTimeout bounds the wait for the broker to answer; default 60s.
	ReadyTimeout time.Duration
}

// Broker is one `strom serve` process, restartable on the same port and data
// directory. Start, Stop, Kill and Restart must not be called concurrently;
// Addr, ControllerAddr, AdminAddr, NodeID, DataDir, Running, LogTail and
// LogContains are safe at any time.
type Broker struct {
	opts           Options
	id             int32
	addr           string
	controllerAddr string // "" for a single broker: no CONTROLLER listener
	adminAddr      string // admin.listener: metrics and probes; "" when unknown
	controllerOnly bool   // process.roles=controller: addr is its CONTROLLER listener
	seed           int    // index in its Cluster's client seeds; -1: not a broker
	args           []string
	wrap           []string // command prefix, e.g. ip netns exec NS

	// mu guards the assignment of cmd and exited, for Running; the
	// methods that must not run concurrently read them without it.
	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{} // closed once cmd has been reaped; waitErr is valid then
	waitErr error
}

// Start starts a broker on a free loopback port and returns once it answers
// a franz-go Ping. If it does not, the process is killed and the error
// carries the log tail.
func Start(opts Options) (*Broker, error) {
	if opts.Dir == "" {
		return nil, errors.New("teststrom: Options.Dir is required")
	}
	if opts.LogPath == "" {
		opts.LogPath = filepath.Join(opts.Dir, "strom.log")
	}
	if opts.ReadyTimeout == 0 {
		opts.ReadyTimeout = defaultReadyTimeout
	}
	if opts.Binary == "" {
		bin, err := Build(context.Background())
		if err != nil {
			return nil, err
		}
		opts.Binary = bin
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	adminPort, err := freePort()
	if err != nil {
		return nil, err
	}
	b := &Broker{opts: opts, id: 1, addr: fmt.Sprintf("127.0.0.1:%d", port), adminAddr: fmt.Sprintf("127.0.0.1:%d", adminPort)}
	b.args = append([]string{"serve",
		"--override", "log.dirs=" + b.DataDir(),
		"--override", "listeners=" + strings.Join(append([]string{"PLAINTEXT://" + b.addr}, opts.ExtraListeners...), ","),
		"--override", "admin.listener=" + b.adminAddr,
		"--override", "node.id=1",
		"--override", "log.segment.bytes=8388608",
	}, overrideArgs(opts.Overrides)...)
	logf, err := os.Create(opts.LogPath)
	if err != nil {
		return nil, err
	}
	return b, b.run(logf, time.Now().Add(opts.ReadyTimeout))
}

// Restart starts the broker again with the same data directory, port and
// settings after Stop or Kill, appending to the same log.
func (b *Broker) Restart() error {
	if b.exited == nil {
		return errors.New("teststrom: Restart of a broker that never started")
	}
	select {
	case <-b.exited:
	default:
		return errors.New("teststrom: Restart of a running broker; Stop or Kill it first")
	}
	logf, err := os.OpenFile(b.opts.LogPath, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	fmt.Fprintf(logf, "--- teststrom: restart at %s ---\n", time.Now().Format(time.RFC3339Nano))
	return b.run(logf, time.Now().Add(b.opts.ReadyTimeout))
}

// run starts the process and waits until the broker is ready or deadline
// has passed, killing it then.
func (b *Broker) run(logf *os.File, deadline time.Time) error {
	if err := b.spawn(logf); err != nil {
		return err
	}
	if err := b.waitReady(deadline); err != nil {
		_ = b.Kill()
		return err
	}
	return nil
}

// spawn starts the process with its output going to logf, which it closes
// once the process has been reaped.
func (b *Broker) spawn(logf *os.File) error {
	argv := append(append(slices.Clone(b.wrap), b.opts.Binary), b.args...)
	cmd := exec.Command(argv[0], argv[1:]...) // a wrapper must exec the binary in place (same pid)
	cmd.Stdout, cmd.Stderr = logf, logf
	exited := make(chan struct{})
	b.mu.Lock()
	b.cmd, b.exited = cmd, exited
	b.mu.Unlock()
	if err := cmd.Start(); err != nil {
		logf.Close()
		close(exited)
		return fmt.Errorf("start %s: %w", b.opts.Binary, err)
	}
	go func() {
		b.waitErr = cmd.Wait()
		logf.Close()
		close(exited)
	}()
	return nil
}

// Addr is the broker's client (PLAINTEXT) host:port; for a controller-only
// cluster node, its CONTROLLER listener (it serves no clients).
func (b *Broker) Addr() string { return b.addr }

// IsBroker reports whether the node has the broker role (a cluster node
// may be a controller only).
func (b *Broker) IsBroker() bool { return !b.controllerOnly }

// ControllerAddr is a cluster node's CONTROLLER (quorum) host:port; "" for
// a broker from Start, which has no controller listener of its own.
func (b *Broker) ControllerAddr() string { return b.controllerAddr }

// AdminAddr is the admin listener's host:port (GET /metrics, /health,
// /ready; package internal/metrics) of a broker from Start; "" for a
// cluster node, whose admin listener is on a port of its own choosing.
// An admin.listener override that changes it is not reflected here.
func (b *Broker) AdminAddr() string { return b.adminAddr }

// NodeID is the broker's node.id: 1 for a broker from Start.
func (b *Broker) NodeID() int32 { return b.id }

// Running reports whether the process has been started and not yet reaped.
func (b *Broker) Running() bool {
	b.mu.Lock()
	exited := b.exited
	b.mu.Unlock()
	if exited == nil {
		return false
	}
	select {
	case <-exited:
		return false
	default:
		return true
	}
}

// DataDir is the broker's log.dirs.
func (b *Broker) DataDir() string { return filepath.Join(b.opts.Dir, "data") }

// waitReady polls until a TCP connect and a franz-go Ping both succeed, or
// deadline has passed.
func (b *Broker) waitReady(deadline time.Time) error {
	timeout := b.opts.ReadyTimeout
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		err := ping(b.addr, b.controllerOnly)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("strom node %d not ready on %s within %v: %w\n%s", b.id, b.addr, timeout, err, b.LogTail(40))
		}
		select {
		case <-b.exited:
			return fmt.Errorf("strom node %d exited before ready: %v\n%s", b.id, b.waitErr, b.LogTail(40))
		case <-tick.C:
		}
	}
}

// ping checks that addr answers: a broker a franz-go Ping (Metadata), a
// controller-only node ApiVersions, the one client API its CONTROLLER
// listener serves besides the controller APIs.
func ping(addr string, controllerOnly bool) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	conn.Close()
	if controllerOnly {
		cl := wire.NewClient(addr, "teststrom")
		defer cl.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := cl.Do(ctx, kmsg.NewPtrApiVersionsRequest())
		return err
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DialTimeout(time.Second))
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return cl.Ping(ctx)
}

// Stop sends SIGTERM and requires a clean exit (status 0) within 20s; it
// kills the process otherwise. A broker that already exited on its own, and
// a non-zero status (66 is the race detector's), are errors.
func (b *Broker) Stop() error {
	if err := b.signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case <-b.exited:
	case <-time.After(stopTimeout):
		_ = b.cmd.Process.Kill()
		<-b.exited
		return fmt.Errorf("strom did not exit within %v of SIGTERM; killed", stopTimeout)
	}
	if b.waitErr != nil {
		return fmt.Errorf("strom exited uncleanly after SIGTERM: %w", b.waitErr)
	}
	return nil
}

// Kill sends SIGKILL, a crash that keeps the page cache, and returns once the
// process has been reaped. A broker that already exited on its own is an error.
func (b *Broker) Kill() error {
	if err := b.signal(syscall.SIGKILL); err != nil {
		return err
	}
	select {
	case <-b.exited:
		return nil
	case <-time.After(stopTimeout):
		return fmt.Errorf("strom (pid %d) not reaped within %v of SIGKILL", b.cmd.Process.Pid, stopTimeout)
	}
}

// Pause sends SIGSTOP: the process keeps its sockets and state but runs
// nothing (a long GC pause, a stalled VM) until Resume.
func (b *Broker) Pause() error { return b.signal(syscall.SIGSTOP) }

// Resume sends SIGCONT to a paused broker.
func (b *Broker) Resume() error { return b.signal(syscall.SIGCONT) }

func (b *Broker) signal(sig os.Signal) error {
	if b.exited == nil {
		return errors.New("teststrom: broker never started")
	}
	select {
	case <-b.exited:
		return fmt.Errorf("strom exited during the run: %v", b.waitErr)
	default:
	}
	if err := b.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("%v: %w", sig, err)
	}
	return nil
}

// LogTail returns the last n lines of the broker's log under a header line.
func (b *Broker) LogTail(n int) string {
	f, err := os.Open(b.opts.LogPath)
	if err != nil {
		return "(no broker log: " + err.Error() + ")"
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return "--- strom log (tail) ---\n" + strings.Join(lines, "\n")
}

// LogContains reports whether the broker's log has a line containing s.
func (b *Broker) LogContains(s string) bool { return b.LogCount(s) > 0 }

// LogCount is how many times s occurs in the broker's log (restarts append
// to it, so a test compares counts from before and after).
func (b *Broker) LogCount(s string) int {
	data, err := os.ReadFile(b.opts.LogPath)
	if err != nil {
		return 0
	}
	return strings.Count(string(data), s)
}

func overrideArgs(kvs []string) []string {
	args := make([]string, 0, 2*len(kvs))
	for _, kv := range kvs {
		args = append(args, "--override", kv)
	}
	return args
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
