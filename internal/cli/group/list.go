package group

import (
	"context"
	"io"
	"sort"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/strom-project/strom/internal/cli/out"
)

func newList(c *common) *cobra.Command {
	var states []string
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List consumer groups with their state",
		Example: `  strom group list
  strom group list --state Stable --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var groups kadm.ListedGroups
			if err := c.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) (err error) {
				groups, err = adm.ListGroups(ctx, states...)
				return err
			}); err != nil {
				return err
			}
			type row struct {
				Group        string `json:"group"`
				State        string `json:"state"`
				ProtocolType string `json:"protocol_type"`
				Coordinator  int32  `json:"coordinator"`
			}
			rows := []row{}
			for _, g := range groups {
				rows = append(rows, row{g.Group, g.State, g.ProtocolType, g.Coordinator})
			}
			sort.Slice(rows, func(i, j int) bool { return rows[i].Group < rows[j].Group })
			return c.format.Print(cmd.OutOrStdout(), rows, func(w io.Writer) error {
				var t [][]string
				for _, r := range rows {
					t = append(t, []string{r.Group, r.State, r.ProtocolType})
				}
				return out.Table(w, []string{"group", "state", "protocol-type"}, t)
			})
		},
	}
	cmd.Flags().StringSliceVar(&states, "state", nil, "only groups in these states (Empty, Stable, PreparingRebalance, CompletingRebalance, Dead)")
	return cmd
}
