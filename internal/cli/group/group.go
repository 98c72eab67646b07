package group

import (
	"github.com/spf13/cobra"

	"github.com/strom-project/strom/internal/cli/kafka"
	"github.com/strom-project/strom/internal/cli/out"
)

type common struct {
	kafka.Config
	format out.Format
}

// NewCommand returns `strom group` and its subcommands.
func NewCommand() *cobra.Command {
	c := &common{}
	cmd := &cobra.Command{
		Use:     "group",
		Aliases: []string{"groups", "g"},
		Short:   "List, describe (with lag), reset and delete consumer groups",
		Args:    cobra.NoArgs,
	}
	c.Config.Register(cmd.PersistentFlags())
	c.format.Register(cmd.PersistentFlags())
	cmd.AddCommand(newList(c), newDescribe(c), newSeek(c), newResetOffsets(c), newDelete(c), newOffsetDelete(c))
	return cmd
}
