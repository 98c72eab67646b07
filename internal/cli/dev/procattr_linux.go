package dev

import (
	"os/exec"
	"syscall"
)

// setProcAttr puts a node in its own process group, so a terminal's Ctrl-C
// reaches only the supervisor, and has the kernel send it SIGTERM should
// the supervisor die without stopping it.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
