package durability

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// memberEnv, set to "1", makes the test binary run one consumer-group member
// (runMember) instead of the tests; memberSpec.env passes its settings.
const memberEnv = "STROM_DURABILITY_MEMBER"

// memberLifetime bounds a member process that nobody kills.
const memberLifetime = 5 * time.Minute

// memberSpec configures a member process.
type memberSpec struct {
	broker, group, topic string
	session              time.Duration
	balancer             string // "range" (eager) or "" (franz-go's default, cooperative-sticky)
	maxPoll              int    // records per poll, each poll committed before the next
}

func (s memberSpec) env() []string {
	return []string{memberEnv + "=1", "STROM_MEMBER_BROKER=" + s.broker, "STROM_MEMBER_GROUP=" + s.group,
		"STROM_MEMBER_TOPIC=" + s.topic, "STROM_MEMBER_SESSION=" + s.session.String(),
		"STROM_MEMBER_BALANCER=" + s.balancer, "STROM_MEMBER_MAX_POLL=" + strconv.Itoa(s.maxPoll)}
}

// runMember is a member process: a franz-go group consumer without
// autocommit that prints, one line each, on stdout:
//
//	assigned P,P,...       its whole assignment after every change ("-" for none)
//	rec P OFFSET VALUE     a record consumed
//	commit P OFFSET        a commit of OFFSET the broker acknowledged
//	error TEXT             a fetch or commit error
//
// It exits when stdin closes (the test process is gone) or after memberLifetime.
func runMember() int {
	session, err := time.ParseDuration(os.Getenv("STROM_MEMBER_SESSION"))
	maxPoll, err2 := strconv.Atoi(os.Getenv("STROM_MEMBER_MAX_POLL"))
	if err != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, "member: bad settings:", err, err2)
		return 2
	}
	topic := os.Getenv("STROM_MEMBER_TOPIC")
	var mu sync.Mutex // serialises lines and guards owned: callbacks run on franz-go's goroutines
	owned := map[int32]bool{}
	emit := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(os.Stdout, format+"\n", args...)
	}
	change := func(m map[string][]int32, own bool) {
		mu.Lock()
		for _, p := range m[topic] {
			if own {
				owned[p] = true
			} else {
				delete(owned, p)
			}
		}
		var ps []string
		for _, p := range slices.Sorted(maps.Keys(owned)) {
			ps = append(ps, strconv.Itoa(int(p)))
		}
		mu.Unlock()
		list := strings.Join(ps, ",")
		if list == "" {
			list = "-"
		}
		emit("assigned %s", list)
	}
	opts := []kgo.Opt{kgo.SeedBrokers(os.Getenv("STROM_MEMBER_BROKER")),
		kgo.ConsumerGroup(os.Getenv("STROM_MEMBER_GROUP")), kgo.ConsumeTopics(topic),
		kgo.SessionTimeout(session), kgo.HeartbeatInterval(300 * time.Millisecond), kgo.DisableAutoCommit(),
		kgo.FetchMaxPartitionBytes(1024), // a few batches of each partition per fetch (see produceRound)
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, m map[string][]int32) { change(m, true) }),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, m map[string][]int32) { change(m, false) }),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, m map[string][]int32) { change(m, false) })}
	if os.Getenv("STROM_MEMBER_BALANCER") == "range" {
		opts = append(opts, kgo.Balancers(kgo.RangeBalancer()))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "member:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), memberLifetime)
	defer cancel()
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); cancel() }()
	for ctx.Err() == nil {
		fs := cl.PollRecords(ctx, maxPoll)
		fs.EachError(func(_ string, p int32, err error) {
			if ctx.Err() == nil {
				emit("error fetch %d: %v", p, err)
			}
		})
		recs := fs.Records()
		if len(recs) == 0 {
			continue
		}
		next := map[int32]int64{}
		for _, r := range recs {
			emit("rec %d %d %s", r.Partition, r.Offset, r.Value)
			next[r.Partition] = max(next[r.Partition], r.Offset+1)
		}
		if err := cl.CommitRecords(ctx, recs...); err != nil {
			emit("error commit: %v", err)
			continue
		}
		for p, o := range next {
			emit("commit %d %d", p, o)
		}
	}
	cl.Close()
	return 0
}

// member is a member process seen from the test: its stdout lines, each
// stamped with the time the test read it. Safe for concurrent use.
type member struct {
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr string // path of the file holding its stderr
	done   chan struct{}

	mu    sync.Mutex
	lines []memberLine
}

type memberLine struct {
	at   time.Time
	text string
}

// startMember re-executes the test binary as a member process; t's cleanup
// kills it and fails t if the race detector fired in it.
func startMember(t *testing.T, name string, spec memberSpec) *member {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	m := &member{name: name, stderr: filepath.Join(t.TempDir(), name+".stderr"), done: make(chan struct{})}
	errf, err := os.Create(m.stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer errf.Close()
	m.cmd = exec.Command(exe, "-test.run=^$")
	m.cmd.Env = append(os.Environ(), spec.env()...)
	m.cmd.Stderr = errf
	if m.stdin, err = m.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := m.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.cmd.Start(); err != nil {
		t.Fatalf("starting member %s: %v", name, err)
	}
	go m.read(out)
	t.Cleanup(func() {
		m.kill()
		data, _ := os.ReadFile(m.stderr)
		if strings.Contains(string(data), "WARNING: DATA RACE") {
			t.Errorf("the race detector fired in member %s:\n%s", name, data)
		} else if t.Failed() {
			t.Logf("member %s: %d lines on stdout; stderr:\n%s", name, len(m.snapshot()), tail(string(data), 30))
		}
	})
	return m
}

// read collects stdout lines until the process closes it, then reaps it.
func (m *member) read(out io.Reader) {
	defer close(m.done)
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		m.mu.Lock()
		m.lines = append(m.lines, memberLine{time.Now(), sc.Text()})
		m.mu.Unlock()
	}
	_ = m.cmd.Wait()
}

// kill sends SIGKILL (no LeaveGroup, no last commit) and waits until the
// process is reaped and its output read, up to closeTimeout. It returns when
// the signal was sent; killing a dead member is a no-op.
func (m *member) kill() time.Time {
	at := time.Now()
	_ = m.cmd.Process.Kill()
	select {
	case <-m.done:
	case <-time.After(closeTimeout):
	}
	return at
}

func (m *member) snapshot() []memberLine {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.lines)
}

// assignment returns the member's latest assignment and when it was read.
func (m *member) assignment() ([]int32, time.Time) {
	lines := m.snapshot()
	for i := len(lines) - 1; i >= 0; i-- {
		if list, ok := strings.CutPrefix(lines[i].text, "assigned "); ok {
			var ps []int32
			for f := range strings.SplitSeq(list, ",") {
				if p, err := strconv.Atoi(f); err == nil {
					ps = append(ps, int32(p))
				}
			}
			return ps, lines[i].at
		}
	}
	return nil, time.Time{}
}

// consumed is one "rec" line.
type consumed struct {
	partition int32
	offset    int64
	value     string
	at        time.Time
}

// records returns the records the member consumed, in order.
func (m *member) records() []consumed {
	var out []consumed
	for _, l := range m.snapshot() {
		var c consumed
		if n, _ := fmt.Sscanf(l.text, "rec %d %d %s", &c.partition, &c.offset, &c.value); n == 3 {
			c.at = l.at
			out = append(out, c)
		}
	}
	return out
}

// commits returns, per partition, the highest offset whose commit the
// broker acknowledged.
func (m *member) commits() map[int32]int64 {
	out := map[int32]int64{}
	for _, l := range m.snapshot() {
		var p int32
		var o int64
		if n, _ := fmt.Sscanf(l.text, "commit %d %d", &p, &o); n == 2 {
			out[p] = max(out[p], o)
		}
	}
	return out
}

// lastErrors returns the member's last n error lines, for failure messages.
func (m *member) lastErrors(n int) []string {
	var out []string
	for _, l := range m.snapshot() {
		if strings.HasPrefix(l.text, "error ") {
			out = append(out, l.text)
		}
	}
	return out[max(0, len(out)-n):]
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
