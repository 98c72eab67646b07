package testutil

import (
	"bytes"
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// RunCommand executes a cobra command in process with args and stdin,
// bounded by timeout, and returns what it wrote to stdout and stderr and
// its error.
func RunCommand(cmd *cobra.Command, timeout time.Duration, stdin string, args ...string) (stdout, stderr string, err error) {
	var out, errOut bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err = cmd.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}
