package group

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/strom-project/strom/internal/cli/kafka"
	"github.com/strom-project/strom/internal/cli/out"
)

func newDelete(c *common) *cobra.Command {
	return &cobra.Command{
		Use:     "delete GROUP...",
		Short:   "Delete empty groups and their committed offsets",
		Long:    `Delete groups and their committed offsets. A group with active members is refused (NON_EMPTY_GROUP).`,
		Example: `  strom group delete old-reporting-job`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var rows []out.Status
			err := c.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				res, err := adm.DeleteGroups(ctx, args...)
				for _, g := range args {
					r := out.Status{Name: g}
					if e := res[g].Err; e != nil {
						r.Error = kafka.ErrorText(e, "")
					}
					rows = append(rows, r)
				}
				return err
			})
			if err != nil {
				return err
			}
			return c.format.PrintStatuses(cmd.OutOrStdout(), "group", "not deleted", "OK", rows)
		},
	}
}

func newOffsetDelete(c *common) *cobra.Command {
	var topics []string
	cmd := &cobra.Command{
		Use:   "offset-delete GROUP --topic T[:P,...]...",
		Short: "Delete a group's committed offsets for some topics",
		Long: `Delete a group's committed offsets for topics (or partitions) it no longer
consumes. Offsets of topics the group is subscribed to are refused
(GROUP_SUBSCRIBED_TO_TOPIC).`,
		Example: `  strom group offset-delete billing --topic retired-topic`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(topics) == 0 {
				return fmt.Errorf("name at least one --topic")
			}
			set := kadm.TopicsSet{}
			err := c.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				committed, err := adm.FetchOffsets(ctx, args[0])
				if err != nil {
					return err
				}
				sel, err := (&resetOpts{topics: topics}).selection(ctx, adm, committed)
				if err != nil {
					return err
				}
				for t, ps := range sel {
					set.Add(t, ps...)
				}
				res, err := adm.DeleteOffsets(ctx, args[0], set)
				if err != nil {
					return err
				}
				return res.Error()
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted committed offsets of %s for %d topic(s)\n", args[0], len(set))
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&topics, "topic", nil, "topic, or topic:p1,p2 (repeatable)")
	return cmd
}
