package compat

import (
	"fmt"
	"os"
	"testing"
)

// brokerAddr is the host:port of the broker every scenario talks to.
var brokerAddr string

func TestMain(m *testing.M) { os.Exit(runSuite(m)) }

func runSuite(m *testing.M) int {
	if addr := os.Getenv("STROM_COMPAT_BROKER"); addr != "" {
		brokerAddr = addr
		code := m.Run()
		writeDocIfAsked()
		return code
	}

	dir, err := os.MkdirTemp("", "strom-compat-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "compat:", err)
		return 1
	}
	defer os.RemoveAll(dir)

	bin := os.Getenv("STROM_COMPAT_BINARY")
	if bin == "" {
		if bin, err = buildStrom(dir); err != nil {
			fmt.Fprintln(os.Stderr, "compat: building strom:", err)
			return 1
		}
	}
	b, err := startBroker(bin, dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "compat: starting strom:", err)
		return 1
	}
	brokerAddr = b.addr

	code := m.Run()

	if err := b.stop(); err != nil {
		fmt.Fprintln(os.Stderr, "compat:", err)
		code = 1
	}
	if b.logContains("WARNING: DATA RACE") {
		fmt.Fprintln(os.Stderr, "compat: the race detector fired in strom; see the log below")
		code = 1
	}
	if code != 0 {
		fmt.Fprintln(os.Stderr, b.logTail(120))
	}
	writeDocIfAsked()
	return code
}
