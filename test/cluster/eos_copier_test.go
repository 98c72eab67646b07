package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// The exactly-once copy job of TestExactlyOnceCopy runs as its own process
// (this test binary re-executed with copierEnv set), so the test can
// SIGKILL it mid-transaction like any crashed application.
const copierEnv = "STROM_EOS_COPIER"

// copierConfig is what the copier process is told, as JSON in copierEnv.
type copierConfig struct {
	Bootstrap []string
	In, Out   string
	Group     string
	TxnID     string
}

// copierMain runs the copy loop until the process is killed: poll the input
// in the group, and in one transaction produce every record to the same
// partition of the output and commit the group's offsets (franz-go's
// GroupTransactSession, which rewinds to the committed offsets whenever a
// transaction does not commit).
func copierMain(spec string) int {
	var cfg copierConfig
	if err := json.Unmarshal([]byte(spec), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "copier:", err)
		return 2
	}
	sess, err := kgo.NewGroupTransactSession(kgo.SeedBrokers(cfg.Bootstrap...),
		kgo.TransactionalID(cfg.TxnID), kgo.TransactionTimeout(10*time.Second),
		kgo.ConsumerGroup(cfg.Group), kgo.ConsumeTopics(cfg.In),
		// Static membership: a restarted copier takes its predecessor's
		// place at once instead of waiting out its session.
		kgo.InstanceID(cfg.TxnID), kgo.SessionTimeout(6*time.Second),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.RequireStableFetchOffsets(),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.MetadataMinAge(100*time.Millisecond), kgo.WithLogger(kgo.BasicLogger(os.Stderr, kgo.LogLevelInfo, nil)))
	if err != nil {
		fmt.Fprintln(os.Stderr, "copier:", err)
		return 2
	}
	ctx := context.Background()
	for n := 0; ; n++ {
		fs := sess.PollRecords(ctx, 200)
		fs.EachError(func(topic string, p int32, err error) {
			fmt.Fprintf(os.Stderr, "copier: fetch %s/%d: %v\n", topic, p, err)
		})
		if fs.NumRecords() == 0 {
			continue
		}
		if err := sess.Begin(); err != nil {
			fmt.Fprintln(os.Stderr, "copier: begin:", err)
			return 1
		}
		fs.EachRecord(func(r *kgo.Record) {
			sess.Produce(ctx, &kgo.Record{Topic: cfg.Out, Partition: r.Partition, Value: r.Value}, nil)
		})
		committed, err := sess.End(ctx, kgo.TryCommit)
		if err != nil || !committed {
			fmt.Fprintf(os.Stderr, "copier: transaction %d of %d records not committed: %v\n", n, fs.NumRecords(), err)
		}
	}
}

// copier is the running copy process.
type copier struct {
	t        *testing.T
	cfg      copierConfig
	logPath  string
	mu       sync.Mutex
	cmd      *exec.Cmd
	restarts int
}

func startCopier(t *testing.T, cfg copierConfig) *copier {
	t.Helper()
	cp := &copier{t: t, cfg: cfg, logPath: filepath.Join(t.TempDir(), "copier.log")}
	cp.start()
	t.Cleanup(func() {
		cp.kill()
		if t.Failed() {
			t.Logf("copier log tail:\n%s", cp.logTail(40))
		}
	})
	return cp
}

func (cp *copier) start() {
	cp.t.Helper()
	spec, err := json.Marshal(cp.cfg)
	if err != nil {
		cp.t.Fatal(err)
	}
	logf, err := os.OpenFile(cp.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		cp.t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), copierEnv+"="+string(spec))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		cp.t.Fatalf("starting the copier: %v", err)
	}
	cp.mu.Lock()
	cp.cmd = cmd
	cp.mu.Unlock()
}

// kill SIGKILLs the copier and reaps it; a no-op when it is not running.
func (cp *copier) kill() {
	cp.mu.Lock()
	cmd := cp.cmd
	cp.cmd = nil
	cp.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
}

// restart kills the copier and starts a new one with the same identity.
func (cp *copier) restart() {
	cp.t.Helper()
	cp.kill()
	cp.start()
	cp.restarts++
}

func (cp *copier) logTail(n int) string {
	b, err := os.ReadFile(cp.logPath)
	if err != nil {
		return err.Error()
	}
	ls := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(ls[max(len(ls)-n, 0):], "\n")
}
