package topic

import (
	"context"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/strom-project/strom/internal/cli/kafka"
	"github.com/strom-project/strom/internal/cli/out"
)

func newDelete(c *common) *cobra.Command {
	var regex bool
	cmd := &cobra.Command{
		Use:   "delete TOPIC...",
		Short: "Delete topics and their data",
		Example: `  strom topic delete orders
  strom topic delete 'test-.*' --regex`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var rows []out.Status
			err := c.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				names := args
				if regex {
					all, err := adm.ListTopics(ctx)
					if err != nil {
						return err
					}
					if names, err = selectTopics(all, args, true); err != nil {
						return err
					}
				}
				res, err := adm.DeleteTopics(ctx, names...)
				for _, n := range names {
					r := out.Status{Name: n}
					if e := res[n]; e.Err != nil {
						r.Error = kafka.ErrorText(e.Err, e.ErrMessage)
					}
					rows = append(rows, r)
				}
				return err
			})
			if err != nil {
				return err
			}
			return c.format.PrintStatuses(cmd.OutOrStdout(), "topic", "not deleted", "OK", rows)
		},
	}
	cmd.Flags().BoolVar(&regex, "regex", false, "arguments are regular expressions")
	return cmd
}
