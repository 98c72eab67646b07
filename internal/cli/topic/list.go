package topic

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"sort"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/strom-project/strom/internal/cli/out"
)

func newList(c *common) *cobra.Command {
	var internal bool
	cmd := &cobra.Command{
		Use:     "list [REGEX]",
		Aliases: []string{"ls"},
		Short:   "List topics",
		Example: `  strom topic list
  strom topic list 'orders.*' --format json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			re := regexp.MustCompile("")
			if len(args) == 1 {
				var err error
				if re, err = regexp.Compile("^(?:" + args[0] + ")$"); err != nil {
					return fmt.Errorf("%q: %w", args[0], err)
				}
			}
			var all kadm.TopicDetails
			if err := c.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) (err error) {
				if internal {
					all, err = adm.ListTopicsWithInternal(ctx)
				} else {
					all, err = adm.ListTopics(ctx)
				}
				return err
			}); err != nil {
				return err
			}
			type row struct {
				Topic      string `json:"topic"`
				Partitions int    `json:"partitions"`
				Replicas   int    `json:"replication_factor"`
				Internal   bool   `json:"internal,omitempty"`
			}
			rows := []row{}
			for _, n := range all.Names() {
				if !re.MatchString(n) {
					continue
				}
				d := all[n]
				rows = append(rows, row{Topic: n, Partitions: len(d.Partitions), Replicas: d.Partitions.NumReplicas(), Internal: d.IsInternal})
			}
			sort.Slice(rows, func(i, j int) bool { return rows[i].Topic < rows[j].Topic })
			return c.format.Print(cmd.OutOrStdout(), rows, func(w io.Writer) error {
				var t [][]string
				for _, r := range rows {
					t = append(t, []string{r.Topic, fmt.Sprint(r.Partitions), fmt.Sprint(r.Replicas)})
				}
				return out.Table(w, []string{"topic", "partitions", "replicas"}, t)
			})
		},
	}
	cmd.Flags().BoolVarP(&internal, "internal", "i", false, "include internal topics")
	return cmd
}
