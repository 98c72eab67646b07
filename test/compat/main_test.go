package compat

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/strom-project/strom/internal/teststrom"
)

// brokerAddr is the host:port of the broker every scenario talks to.
var brokerAddr string

func TestMain(m *testing.M) { os.Exit(runSuite(m)) }

func runSuite(m *testing.M) int {
	if addr := os.Getenv("STROM_COMPAT_BROKER"); addr != "" {
		brokerAddr = addr
		if err := probeBroker(addr); err != nil {
			fmt.Fprintln(os.Stderr, "compat: probing", addr+":", err)
			return 1
		}
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
		defer teststrom.RemoveBinary()
		if bin, err = teststrom.Build(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "compat: building strom:", err)
			return 1
		}
	}
	b, err := startBroker(dir, bin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "compat: starting strom:", err)
		return 1
	}
	brokerAddr = b.Addr()
	if err := probeBroker(brokerAddr); err != nil {
		fmt.Fprintln(os.Stderr, "compat: probing strom:", err)
		_ = b.Stop()
		return 1
	}
	if !groupsServed() {
		fmt.Fprintln(os.Stderr, "compat: the broker does not advertise FindCoordinator v0: consumer-group scenarios will fail"+
			" (or be skipped, with "+allowNoGroupsEnv+" set)")
	}

	code := m.Run()

	if err := b.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "compat:", err)
		code = 1
	}
	if b.LogContains("WARNING: DATA RACE") {
		fmt.Fprintln(os.Stderr, "compat: the race detector fired in strom; see the log below")
		code = 1
	}
	if code != 0 {
		fmt.Fprintln(os.Stderr, b.LogTail(120))
	}
	writeDocIfAsked()
	return code
}

// rebalanceDelay is Kafka's group.initial.rebalance.delay.ms=0: the first
// JoinGroup of an empty group completes at once instead of after 3 s, which
// every group scenario would otherwise pay.
const rebalanceDelay = "group.initial.rebalance.delay.ms=0"

// startBroker starts bin with rebalanceDelay. A broker whose config registry
// does not know that name yet refuses to start ("unknown configuration"),
// which takes well under a second; then it is started again without it, so the
// suite follows the broker and needs no flag (the scenarios only run slower).
//
// The suite's ~70 partitions stay far below teststrom's default
// log.segment.bytes (8 MiB), so preallocation stays on without the 1 GiB
// per partition Kafka's default would take.
func startBroker(dir, bin string) (*teststrom.Broker, error) {
	opts := teststrom.Options{Dir: dir, Binary: bin, Overrides: []string{rebalanceDelay}}
	b, err := teststrom.Start(opts)
	if err == nil || !strings.Contains(err.Error(), `unknown configuration "group.initial.rebalance.delay.ms"`) {
		return b, err
	}
	fmt.Fprintln(os.Stderr, "compat: strom does not know group.initial.rebalance.delay.ms yet; starting it without")
	opts.Overrides = nil
	return teststrom.Start(opts)
}
