// Package storage is `strom storage`: preparing a node's directories
// before its first start, as kafka-storage.sh.
package storage

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/strom-project/strom/internal/auth"
	"github.com/strom-project/strom/internal/broker"
	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/controller"
	"github.com/strom-project/strom/internal/metadata"
)

// NewCommand returns `strom storage` and its subcommands.
func NewCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "storage",
		Short: "Prepare a node's storage before its first start",
		Long: `A Strom node formats its own metadata directory on first start, so this
is optional — except to start a cluster with SASL on from the beginning,
when its first SCRAM users must exist before anyone can log in to create
them (kafka-storage.sh format --add-scram).`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(formatCommand(), randomUUIDCommand())
	return cmd
}

func formatCommand() *cobra.Command {
	var (
		overrides []string
		clusterID string
		scrams    []string
		ignore    bool
	)
	cmd := &cobra.Command{
		Use:   "format [server.properties] [--cluster-id ID] [--add-scram SPEC]...",
		Short: "Write meta.properties and the first SCRAM users",
		Long: `Format the node's metadata directory: meta.properties with the cluster id
(random unless given; give every node of a cluster the same one) and
node.id, and the SCRAM users --add-scram names, which the first active
controller commits with the cluster id. Run it on every controller with the
same arguments before their first start. A formatted directory is refused
unless --ignore-formatted.`,
		Example: `  strom storage format server.properties --cluster-id $(strom storage random-uuid) \
    --add-scram 'SCRAM-SHA-512=[name=admin,password=admin-secret]'
  strom storage format --override log.dirs=/var/lib/strom --add-scram 'SCRAM-SHA-256=[name=alice,iterations=8192,password=alice-secret]'`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			file := ""
			if len(args) == 1 {
				file = args[0]
			}
			cfg, err := config.Load(file, overrides)
			if err != nil {
				return err
			}
			var recs []metadata.Record
			for _, s := range scrams {
				r, err := auth.ParseScramSpec(s)
				if err != nil {
					return err
				}
				recs = append(recs, r)
			}
			if clusterID == "" {
				clusterID = controller.NewClusterID()
			}
			dir := broker.MetadataDir(cfg)
			err = controller.Format(dir, cfg.NodeID, clusterID, recs, time.Now())
			switch {
			case errors.Is(err, controller.ErrFormatted) && ignore:
				fmt.Fprintf(cmd.OutOrStdout(), "%s is already formatted; left as it is\n", dir)
				return nil
			case err != nil:
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "formatted %s: cluster.id=%s node.id=%d, %d SCRAM credential(s)\n",
				dir, clusterID, cfg.NodeID, len(recs))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&overrides, "override", nil, "a config key=value, after the file (repeatable)")
	f.StringVarP(&clusterID, "cluster-id", "t", "", "the cluster id (22 characters of base64url, as strom storage random-uuid prints)")
	f.StringArrayVarP(&scrams, "add-scram", "S", nil, "a SCRAM user: 'SCRAM-SHA-256=[name=NAME,password=PW]' (repeatable)")
	f.BoolVarP(&ignore, "ignore-formatted", "g", false, "succeed without changes if the directory is already formatted")
	return cmd
}

func randomUUIDCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "random-uuid",
		Short: "Print a new cluster id",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), controller.NewClusterID())
			return nil
		},
	}
}
