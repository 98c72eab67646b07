package compat

import (
	"bytes"
	"context"
	"fmt"
	"github.com/strom-project/strom/internal/testutil"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// scenarioTimeout bounds one scenario; each external command gets cmdTimeout.
const (
	scenarioTimeout = 50 * time.Second
	cmdTimeout      = 40 * time.Second
)

// compressible prefixes values in compression scenarios. Clients send a batch
// uncompressed when compression does not shrink it, and a batch may hold a single
// record, so each record alone must compress well.
var compressible = strings.Repeat("compressible-", 40)

func inCI() bool { return os.Getenv("CI") == "true" }

// need skips t when a client is unavailable, or fails it under CI, where
// .ci/install-deps must have installed every client.
func need(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if inCI() {
		t.Fatalf("%s is unavailable under CI=true (bash .ci/install-deps installs it): %v", what, err)
	}
	t.Skipf("%s is unavailable, skipping (bash .ci/install-deps installs it): %v", what, err)
}

// waitFor polls cond until it returns nil, failing t with cond's last error if that
// takes longer than timeout.
func waitFor(t *testing.T, timeout time.Duration, cond func() error) {
	t.Helper()
	testutil.WaitFor(t, timeout, cond)
}

// topicName returns a topic name unique to this scenario and run.
func topicName(t *testing.T) string {
	t.Helper()
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '.':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '-'
	}, t.Name())
	return fmt.Sprintf("compat-%s-%06x", name, rand.Uint32()&0xffffff)
}

// scenarioCtxs holds each running test's context: *testing.T → context.Context.
var scenarioCtxs sync.Map

// scenarioContext returns t's context, created on first use: it ends scenarioTimeout
// after that, or when t ends, so every step of a scenario shares one bound.
func scenarioContext(t *testing.T) context.Context {
	t.Helper()
	if ctx, ok := scenarioCtxs.Load(t); ok {
		return ctx.(context.Context)
	}
	ctx, cancel := context.WithTimeout(context.Background(), scenarioTimeout)
	scenarioCtxs.Store(t, ctx)
	t.Cleanup(func() {
		scenarioCtxs.Delete(t)
		cancel()
	})
	return ctx
}

// runCmd runs name with args and stdin, bounded by cmdTimeout and t's scenario
// context, and returns its stdout; any failure fails t with the command's stderr.
func runCmd(t *testing.T, stdin, name string, args ...string) string {
	t.Helper()
	out, errOut, err := runCmdCtx(scenarioContext(t), stdin, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, out, tail(errOut, 12))
	}
	return out
}

// runCmdErr is runCmd for callers outside a scenario: it returns the failure.
func runCmdErr(stdin, name string, args ...string) (stdout, stderr string, err error) {
	return runCmdCtx(context.Background(), stdin, name, args...)
}

func runCmdCtx(parent context.Context, stdin, name string, args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(parent, cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = 5 * time.Second
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("killed at its deadline: %w (%w)", ctx.Err(), err)
	}
	return o.String(), e.String(), err
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	ls := lines(s)
	if len(ls) > n {
		ls = append([]string{fmt.Sprintf("[%d earlier lines]", len(ls)-n)}, ls[len(ls)-n:]...)
	}
	return strings.Join(ls, "\n")
}

// lines splits s on newlines, dropping one trailing empty line.
func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// seq returns n strings prefix0 .. prefix(n-1).
func seq(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return out
}

// equalLines fails t unless got equals want element by element.
func equalLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d items, want %d\ngot:  %q\nwant: %q", what, len(got), len(want), got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: item %d = %q, want %q\ngot:  %q\nwant: %q", what, i, got[i], want[i], got, want)
		}
	}
}
