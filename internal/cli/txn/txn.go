// Package txn is `strom txn`: transactions as kafka-transactions.sh shows
// and repairs them (KIP-664).
package txn

import (
	"github.com/spf13/cobra"

	"github.com/strom-project/strom/internal/cli/kafka"
	"github.com/strom-project/strom/internal/cli/out"
)

// NewCommand returns `strom txn` and its subcommands.
func NewCommand() *cobra.Command {
	var (
		cfg    kafka.Config
		format out.Format
	)
	cmd := &cobra.Command{
		Use:   "txn",
		Short: "Inspect transactions and abort hanging ones",
		Long: `Transactions as their coordinators and partition leaders see them
(kafka-transactions.sh): list and describe transactional ids, show a
partition's active producers, find transactions left open on a partition
that no coordinator knows about (they hold back read_committed consumers),
and abort one.`,
		Args: cobra.NoArgs,
	}
	cfg.Register(cmd.PersistentFlags())
	format.Register(cmd.PersistentFlags())
	cmd.AddCommand(listCommand(&cfg, &format), describeCommand(&cfg, &format), producersCommand(&cfg, &format),
		findHangingCommand(&cfg, &format), abortCommand(&cfg, &format))
	return cmd
}
