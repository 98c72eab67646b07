package topic

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

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
			cl, adm, err := c.Admin()
			if err != nil {
				return err
			}
			defer cl.Close()
			ctx, cancel := c.Context(cmd.Context())
			defer cancel()
			res, err := adm.CreatePartitions(ctx, add, args...)
			if err != nil {
				return c.Explain(err)
			}
			failed := 0
			type row struct {
				Topic string `json:"topic"`
				Error string `json:"error,omitempty"`
			}
			rows := []row{}
			for _, n := range args {
				r := row{Topic: n}
				if e := res[n]; e.Err != nil {
					r.Error, failed = kafka.ErrorText(e.Err, e.ErrMessage), failed+1
				}
				rows = append(rows, r)
			}
			err = c.format.Print(cmd.OutOrStdout(), rows, func(w io.Writer) error {
				var t [][]string
				for _, r := range rows {
					status := fmt.Sprintf("OK (+%d)", add)
					if r.Error != "" {
						status = r.Error
					}
					t = append(t, []string{r.Topic, status})
				}
				return out.Table(w, []string{"topic", "status"}, t)
			})
			if err == nil && failed > 0 {
				err = fmt.Errorf("%d of %d topics not grown", failed, len(rows))
			}
			return err
		},
	}
	cmd.Flags().IntVarP(&add, "num", "n", 0, "partitions to add")
	return cmd
}
