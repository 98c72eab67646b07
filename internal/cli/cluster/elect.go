package cluster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/strom-project/strom/internal/cli/kafka"
	"github.com/strom-project/strom/internal/cli/out"
)

// electCommand is `strom cluster elect-leaders`, kafka-leader-election.sh.
func electCommand(cfg *kafka.Config, format *out.Format) *cobra.Command {
	var topics []string
	var unclean bool
	cmd := &cobra.Command{
		Use:   "elect-leaders [--topic T[:P,...]]... [--unclean]",
		Short: "Move leadership to preferred replicas, or elect leaders for offline partitions",
		Long: `Run leader elections (ElectLeaders), as kafka-leader-election.sh does. By
default the preferred replica (the first in the replica list) becomes leader
where it is in sync and not leading already. With --unclean, partitions
without a leader get one even from outside the ISR: records the new leader
lacks are lost, so use it only to bring a partition back that has no
in-sync replica left. Without --topic every partition is considered.
Partitions whose leader is already the right one are not listed.`,
		Example: `  strom cluster elect-leaders
  strom cluster elect-leaders --topic orders:0,1
  strom cluster elect-leaders --topic orders --unclean`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			how := kadm.ElectPreferredReplica
			if unclean {
				how = kadm.ElectLiveReplica
			}
			var rows []out.Status
			err := cfg.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				var set kadm.TopicsSet
				if len(topics) > 0 {
					sel, err := kafka.SelectPartitions(ctx, adm, topics)
					if err != nil {
						return err
					}
					set = kadm.TopicsSet{}
					for t, ps := range sel {
						set.Add(t, ps...)
					}
				}
				res, err := adm.ElectLeaders(ctx, how, set)
				if err != nil {
					return err
				}
				var results []kadm.ElectLeadersResult
				for _, ps := range res {
					for _, r := range ps {
						results = append(results, r)
					}
				}
				slices.SortFunc(results, func(a, b kadm.ElectLeadersResult) int {
					return cmp.Or(strings.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
				})
				for _, r := range results {
					if errors.Is(r.Err, kerr.ElectionNotNeeded) {
						continue // the right leader leads already (kafka-leader-election.sh says so, not an error)
					}
					row := out.Status{Name: fmt.Sprintf("%s-%d", r.Topic, r.Partition)}
					if r.Err != nil {
						row.Error = r.Err.Error()
						if r.ErrMessage != "" {
							row.Error = r.ErrMessage
						}
					}
					rows = append(rows, row)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if len(rows) == 0 && *format != out.JSON && *format != out.YAML {
				fmt.Fprintln(cmd.OutOrStdout(), "no partition needed an election")
				return nil
			}
			return format.PrintStatuses(cmd.OutOrStdout(), "partition", "without a new leader", "elected", rows)
		},
	}
	cmd.Flags().StringArrayVar(&topics, "topic", nil, "topic, or topic:p1,p2 (repeatable; default: every partition)")
	cmd.Flags().BoolVar(&unclean, "unclean", false, "elect leaders for partitions without one from any live replica (may lose records)")
	return cmd
}
