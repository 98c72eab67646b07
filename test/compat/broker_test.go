package compat

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// broker is one `strom serve` process under test. Its stdout and stderr go to
// logPath. exited is closed once the process has been reaped; waitErr is valid then.
type broker struct {
	addr    string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	waitErr error
}

const (
	buildTimeout = 10 * time.Minute
	readyTimeout = 60 * time.Second
	stopTimeout  = 20 * time.Second
)

// moduleRoot walks up from the working directory (test/compat under go test) to go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// buildStrom builds ./cmd/strom into dir. The broker is built with -race when this
// test binary is, so real clients double as a race workload for the broker.
func buildStrom(dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "strom")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "./cmd/strom")
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return bin, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startBroker starts bin on a free loopback port with a fresh log.dirs under dir and
// returns once it answers ApiVersions.
func startBroker(bin, dir string) (*broker, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "strom.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	b := &broker{
		addr:    fmt.Sprintf("127.0.0.1:%d", port),
		logPath: logPath,
		exited:  make(chan struct{}),
	}
	b.cmd = exec.Command(bin, "serve",
		"--override", "log.dirs="+filepath.Join(dir, "data"),
		"--override", "listeners=PLAINTEXT://"+b.addr,
		"--override", "node.id=1",
		// Segments are preallocated (log.preallocate=true) at 1 GiB by default: the
		// suite's ~70 partitions would need ~70 GB of disk. 8 MiB keeps preallocation
		// on while no scenario writes enough to roll a segment.
		"--override", "log.segment.bytes=8388608",
	)
	b.cmd.Stdout, b.cmd.Stderr = logf, logf
	if err := b.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() {
		b.waitErr = b.cmd.Wait()
		logf.Close()
		close(b.exited)
	}()
	if err := b.waitReady(readyTimeout); err != nil {
		_ = b.stop()
		return nil, err
	}
	return b, nil
}

// waitReady polls until a TCP connect and an ApiVersions round trip both succeed.
func (b *broker) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		err := ping(b.addr)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("strom not ready on %s after %v: %w\n%s", b.addr, timeout, err, b.logTail(40))
		}
		select {
		case <-b.exited:
			return fmt.Errorf("strom exited before ready: %v\n%s", b.waitErr, b.logTail(40))
		case <-tick.C:
		}
	}
}

func ping(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	conn.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DialTimeout(time.Second))
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return cl.Ping(ctx)
}

// stop sends SIGTERM and expects a clean exit within stopTimeout; it kills the
// process otherwise. A non-zero exit (including 66, the race detector's) is an error.
func (b *broker) stop() error {
	select {
	case <-b.exited:
		return fmt.Errorf("strom exited during the run: %v", b.waitErr)
	default:
	}
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("SIGTERM: %w", err)
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

// logTail returns the last n lines of the broker's log.
func (b *broker) logTail(n int) string {
	f, err := os.Open(b.logPath)
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

// logContains reports whether the broker's log has a line containing s.
func (b *broker) logContains(s string) bool {
	data, err := os.ReadFile(b.logPath)
	return err == nil && strings.Contains(string(data), s)
}
