package cli

import (
	"github.com/spf13/cobra"

	"github.com/strom-project/strom/internal/cli/acl"
	clibench "github.com/strom-project/strom/internal/cli/bench"
	"github.com/strom-project/strom/internal/cli/cluster"
	"github.com/strom-project/strom/internal/cli/consume"
	"github.com/strom-project/strom/internal/cli/dev"
	"github.com/strom-project/strom/internal/cli/group"
	"github.com/strom-project/strom/internal/cli/produce"
	"github.com/strom-project/strom/internal/cli/quota"
	"github.com/strom-project/strom/internal/cli/storage"
	"github.com/strom-project/strom/internal/cli/topic"
	"github.com/strom-project/strom/internal/cli/txn"
	"github.com/strom-project/strom/internal/cli/user"
)

// Version is set at build time with -ldflags "-X .../internal/cli.Version=...".
var Version = "dev"

// NewRoot builds the strom command tree.
func NewRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "strom",
		Short: "Strom: a Kafka-compatible event-streaming platform in one binary",
		Long: `Strom speaks the Kafka wire protocol: every Kafka client and tool works
against it unchanged. Start a single-node broker with "strom serve".`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version,
	}
	root.AddCommand(newServeCommand(), topic.NewCommand(), produce.NewCommand(), consume.NewCommand(), group.NewCommand(), cluster.NewCommand(), clibench.NewCommand())
	root.AddCommand(dev.NewCommand())
	root.AddCommand(quota.NewCommand())
	root.AddCommand(user.NewCommand())
	root.AddCommand(acl.NewCommand())
	root.AddCommand(storage.NewCommand())
	root.AddCommand(txn.NewCommand())
	return root
}
