//go:build !linux

package dev

import (
	"os/exec"
	"syscall"
)

// setProcAttr puts a node in its own process group, so a terminal's Ctrl-C
// reaches only the supervisor. Without Linux's parent-death signal, nodes
// outlive a supervisor that is killed with SIGKILL.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
