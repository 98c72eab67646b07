package group

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/strom-project/strom/internal/cli/kafka"
	"github.com/strom-project/strom/internal/cli/out"
)

func newDelete(c *common) *cobra.Command {
	return &cobra.Command{
		Use:   "delete GROUP...",
		Short: "Delete empty groups and their committed offsets",
		Long:  `Delete groups and their committed offsets. A group with active members is refused (NON_EMPTY_GROUP).`,
		Example: `  strom group delete old-reporting-job`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, adm, err := c.Admin()
			if err != nil {
				return err
			}
			defer cl.Close()
			ctx, cancel := c.Context(cmd.Context())
			defer cancel()
			res, err := adm.DeleteGroups(ctx, args...)
			if err != nil {
				return c.Explain(err)
			}
			type row struct {
				Group string `json:"group"`
				Error string `json:"error,omitempty"`
			}
			rows, failed := []row{}, 0
			for _, g := range args {
				r := row{Group: g}
				if e := res[g].Err; e != nil {
					r.Error, failed = kafka.ErrorText(e, ""), failed+1
				}
				rows = append(rows, r)
			}
			err = c.format.Print(cmd.OutOrStdout(), rows, func(w io.Writer) error {
				var t [][]string
				for _, r := range rows {
					status := "OK"
					if r.Error != "" {
						status = r.Error
					}
					t = append(t, []string{r.Group, status})
				}
				return out.Table(w, []string{"group", "status"}, t)
			})
			if err == nil && failed > 0 {
				err = fmt.Errorf("%d of %d groups not deleted", failed, len(rows))
			}
			return err
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
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(topics) == 0 {
				return fmt.Errorf("name at least one --topic")
			}
			cl, adm, err := c.Admin()
			if err != nil {
				return err
			}
			defer cl.Close()
			ctx, cancel := c.Context(cmd.Context())
			defer cancel()
			o := &resetOpts{topics: topics}
			committed, err := adm.FetchOffsets(ctx, args[0])
			if err != nil {
				return c.Explain(err)
			}
			sel, err := o.selection(ctx, adm, committed)
			if err != nil {
				return c.Explain(err)
			}
			set := make(map[string]map[int32]struct{})
			for t, ps := range sel {
				set[t] = map[int32]struct{}{}
				for _, p := range ps {
					set[t][p] = struct{}{}
				}
			}
			res, err := adm.DeleteOffsets(ctx, args[0], set)
			if err != nil {
				return c.Explain(err)
			}
			if err := res.Error(); err != nil {
				return c.Explain(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted committed offsets of %s for %d topic(s)\n", args[0], len(set))
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&topics, "topic", nil, "topic, or topic:p1,p2 (repeatable)")
	return cmd
}
