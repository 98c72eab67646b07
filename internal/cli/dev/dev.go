package dev

import "github.com/spf13/cobra"

// NewCommand returns `strom dev` and its subcommands.
func NewCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run Strom locally for development: a multi-node cluster in one command",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newClusterCommand())
	return cmd
}
