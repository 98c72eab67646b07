package testutil

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// interval is how often a condition is re-checked.
const interval = 10 * time.Millisecond

// Poll calls cond until it returns nil, or returns cond's last error once
// timeout has passed. Use it where the caller must clean up before failing.
func Poll(timeout time.Duration, cond func() error) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		err := cond()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not true within %v: %w", timeout, err)
		}
		<-tick.C
	}
}

// WaitFor fails t with cond's last error if cond does not return nil
// within timeout.
func WaitFor(t testing.TB, timeout time.Duration, cond func() error) {
	t.Helper()
	if err := Poll(timeout, cond); err != nil {
		t.Fatal(err)
	}
}

// WaitUntil is WaitFor for a boolean condition described by what.
func WaitUntil(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	WaitFor(t, timeout, func() error {
		if cond() {
			return nil
		}
		return errors.New("waiting for " + what)
	})
}
