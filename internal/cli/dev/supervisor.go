package dev

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/strom-project/strom/internal/cli/dev/layout"
)

// supervisor owns the node processes of one run. Its methods run on the
// command's goroutine; each child has one goroutine that reaps it.
type supervisor struct {
	spec     runSpec
	out, log *syncWriter // stdout: progress; stderr: node output and trouble
	children []*child
	exits    chan *child // each child once, when reaped
}

// child is one node process.
type child struct {
	node     layout.Node
	cmd      *exec.Cmd
	done     chan struct{} // closed when reaped; err is valid then
	err      error
	stopping bool // the supervisor signalled it; set before the signal
}

func newSupervisor(spec runSpec) *supervisor {
	return &supervisor{
		spec:  spec,
		out:   &syncWriter{w: spec.stdout},
		log:   &syncWriter{w: spec.stderr},
		exits: make(chan *child, len(spec.plan.Nodes)),
	}
}

func (sv *supervisor) dir() string { return filepath.Dir(sv.spec.plan.Nodes[0].Dir) }

// startAll starts every node without waiting for any: a node answers only
// once a quorum of them runs.
func (sv *supervisor) startAll() error {
	for _, n := range sv.spec.plan.Nodes {
		c := &child{node: n, done: make(chan struct{})}
		if err := sv.start(c); err != nil {
			return fmt.Errorf("starting node %d: %w", n.ID, err)
		}
		sv.children = append(sv.children, c)
		sv.out.printf("strom dev: node %d: pid %d, config %s, log %s\n", n.ID, c.cmd.Process.Pid, n.ConfigPath(), c.logPath())
	}
	return nil
}

func (sv *supervisor) start(c *child) error {
	logf, err := os.OpenFile(c.logPath(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(logf, "--- strom dev: node %d starting at %s ---\n", c.node.ID, time.Now().Format(time.RFC3339Nano))
	output := &nodeOutput{file: logf, prefix: fmt.Sprintf("[node-%d] ", c.node.ID), w: sv.log}
	c.cmd = exec.Command(sv.spec.exe, "serve", "--config", c.node.ConfigPath())
	// One writer for both streams: exec then copies them on one goroutine.
	c.cmd.Stdout, c.cmd.Stderr = output, output
	setProcAttr(c.cmd)
	if err := c.cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	go func() {
		err := c.cmd.Wait()
		output.flush()
		logf.Close()
		c.err = err
		close(c.done)
		sv.exits <- c
	}()
	return nil
}

func (c *child) logPath() string { return filepath.Join(c.node.Dir, "strom.log") }

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// status describes how a reaped child ended: "exit status 1", "signal: killed".
func (c *child) status() string {
	if c.cmd.ProcessState != nil {
		return c.cmd.ProcessState.String()
	}
	return fmt.Sprint(c.err)
}

// supervise reports nodes that exit on their own until ctx ends (nil) or
// none is left (an error).
func (sv *supervisor) supervise(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case c := <-sv.exits:
			if c.stopping {
				continue
			}
			left := sv.running()
			fmt.Fprintf(sv.log, "strom dev: node %d exited unexpectedly (%s); %d node(s) keep running. Its log: %s; to run it again by hand: %s serve --config %s\n",
				c.node.ID, c.status(), left, c.logPath(), sv.spec.exe, c.node.ConfigPath())
			if left == 0 {
				return errors.New("every node has exited; their output is above")
			}
		}
	}
}

func (sv *supervisor) running() int {
	n := 0
	for _, c := range sv.children {
		if !c.exited() {
			n++
		}
	}
	return n
}

// stopAll stops every running node: SIGTERM, then SIGKILL for those still
// running after stopTimeout. It returns an error for every node that did not
// exit cleanly (status 0) on SIGTERM.
func (sv *supervisor) stopAll() error {
	var live []*child
	for _, c := range sv.children {
		if !c.exited() {
			c.stopping = true
			live = append(live, c)
		}
	}
	if len(live) == 0 {
		return nil
	}
	sv.out.printf("strom dev: stopping %d node(s)\n", len(live))
	for _, c := range live {
		_ = c.cmd.Process.Signal(syscall.SIGTERM) // fails only if it has just exited
	}
	deadline := time.Now().Add(stopTimeout)
	var errs []error
	for _, c := range live {
		select {
		case <-c.done:
		case <-time.After(time.Until(deadline)):
		}
		if !c.exited() {
			_ = c.cmd.Process.Kill()
			select {
			case <-c.done:
				errs = append(errs, fmt.Errorf("node %d did not stop within %v of SIGTERM; killed", c.node.ID, stopTimeout))
			case <-time.After(reapTimeout):
				errs = append(errs, fmt.Errorf("node %d (pid %d) not reaped within %v of SIGKILL", c.node.ID, c.cmd.Process.Pid, reapTimeout))
			}
		} else if c.err != nil {
			errs = append(errs, fmt.Errorf("node %d did not stop cleanly: %s (see %s)", c.node.ID, c.status(), c.logPath()))
		}
	}
	if len(errs) == 0 {
		sv.out.printf("strom dev: all nodes stopped\n")
	}
	return errors.Join(errs...)
}

// syncWriter serialises writes from the nodes' output goroutines and the
// supervisor, a line at a time.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) printf(format string, args ...any) { fmt.Fprintf(s, format, args...) }

// nodeOutput takes a node's stdout and stderr: it appends them to file and
// writes whole lines to w, each after prefix, holding back a partial line
// until its end or flush. It never fails, so a full disk or a closed
// terminal cannot kill the node with a broken pipe. Exec calls Write from
// one goroutine.
type nodeOutput struct {
	file   io.Writer
	prefix string
	w      io.Writer
	buf    []byte
}

func (p *nodeOutput) Write(b []byte) (int, error) {
	_, _ = p.file.Write(b)
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			break
		}
		p.emit(p.buf[:i+1])
		p.buf = p.buf[i+1:]
	}
	return len(b), nil
}

// flush writes a last line that had no newline.
func (p *nodeOutput) flush() {
	if len(p.buf) > 0 {
		p.emit(append(p.buf, '\n'))
		p.buf = nil
	}
}

func (p *nodeOutput) emit(line []byte) {
	// Errors writing our own output are not the node's: it keeps running.
	_, _ = p.w.Write(append([]byte(p.prefix), line...))
}
