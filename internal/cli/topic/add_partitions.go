package topic

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/strom-project/strom/internal/cli/kafka"
	"github.com/strom-project/strom/internal/cli/out"
)

func newAddPartitions(c *common) *cobra.Command {
	var add int
	cmd := &cobra.Command{
		Use:   "add-partitions TOPIC... --num N",
		Short: "Add partitions to topics",
		Long: `Add N partitions to each topic. Partitions cannot be removed, and keyed
records map to different partitions afterwards.`,
		Example: `  strom topic add-partitions orders --num 6`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if add <= 0 {
				return fmt.Errorf("--num must be a positive number of partitions to add")
			}
			var rows []out.Status
			err := c.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				res, err := adm.CreatePartitions(ctx, add, args...)
				for _, n := range args {
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
			return c.format.PrintStatuses(cmd.OutOrStdout(), "topic", "not grown", fmt.Sprintf("OK (+%d)", add), rows)
		},
	}
	cmd.Flags().IntVarP(&add, "num", "n", 0, "partitions to add")
	return cmd
}
