package testutil

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPoll(t *testing.T) {
	n := 0
	if err := Poll(time.Second, func() error {
		if n++; n < 3 {
			return errors.New("not yet")
		}
		return nil
	}); err != nil || n != 3 {
		t.Fatalf("err %v after %d calls, want nil after 3", err, n)
	}
	err := Poll(30*time.Millisecond, func() error { return errors.New("still missing x") })
	if err == nil || !strings.Contains(err.Error(), "still missing x") {
		t.Fatalf("timeout error %v does not carry the condition's last error", err)
	}
}
