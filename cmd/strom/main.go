// Command strom is the Strom binary: a Kafka-compatible broker and its tools.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/strom-project/strom/internal/cli"
)

func main() {
	if err := cli.NewRoot().ExecuteContext(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "strom:", err)
		os.Exit(1)
	}
}
