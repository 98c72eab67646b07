package topic

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

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
			cl, adm, err := c.Admin()
			if err != nil {
				return err
			}
			defer cl.Close()
			ctx, cancel := c.Context(cmd.Context())
			defer cancel()
			names := args
			if regex {
				all, err := adm.ListTopics(ctx)
				if err != nil {
					return c.Explain(err)
				}
				if names, err = selectTopics(all, args, true); err != nil {
					return err
				}
			}
			res, err := adm.DeleteTopics(ctx, names...)
			if err != nil {
				return c.Explain(err)
			}
			type row struct {
				Topic string `json:"topic"`
				Error string `json:"error,omitempty"`
			}
			rows := []row{}
			failed := 0
			for _, n := range names {
				r := row{Topic: n}
				if e := res[n]; e.Err != nil {
					r.Error, failed = kafka.ErrorText(e.Err, e.ErrMessage), failed+1
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
					t = append(t, []string{r.Topic, status})
				}
				return out.Table(w, []string{"topic", "status"}, t)
			})
			if err == nil && failed > 0 {
				err = fmt.Errorf("%d of %d topics not deleted", failed, len(rows))
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&regex, "regex", false, "arguments are regular expressions")
	return cmd
}
