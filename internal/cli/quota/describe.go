package quota

import (
	"context"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/strom-project/strom/internal/cli/kafka"
	"github.com/strom-project/strom/internal/cli/out"
)

// describedQuota is one entity's quotas in the output.
type describedQuota struct {
	User     *string            `json:"user,omitempty"`      // "" is the default user
	ClientID *string            `json:"client_id,omitempty"` // "" is the default client id
	Entity   string             `json:"entity"`
	Quotas   map[string]float64 `json:"quotas"`
}

func describeCommand(cfg *kafka.Config, format *out.Format) *cobra.Command {
	var ent entityFlags
	cmd := &cobra.Command{
		Use:   "describe [--user U | --default-user] [--client-id C | --default-client-id]",
		Short: "Show client quotas",
		Long: `Show client quotas (DescribeClientQuotas). Without flags: every entity.
--user/--client-id match that name, --default-user/--default-client-id the
default entity; an entity matches when it has every part asked for (it may
have others: --client-id slow also shows user=alice, client-id=slow).`,
		Example: `  strom quota describe
  strom quota describe --client-id slow
  strom quota describe --default-user --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			entity, err := ent.entity()
			if err != nil {
				return err
			}
			var comps []kadm.DescribeClientQuotaComponent
			for _, c := range entity {
				dc := kadm.DescribeClientQuotaComponent{Type: c.Type, MatchName: c.Name, MatchType: 0}
				if c.Name == nil {
					dc.MatchType = 1 // DEFAULT
				}
				comps = append(comps, dc)
			}
			var rows []describedQuota
			err = cfg.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				qs, err := adm.DescribeClientQuotas(ctx, false, comps)
				if err != nil {
					return err
				}
				for _, q := range qs {
					rows = append(rows, toRow(q))
				}
				return nil
			})
			if err != nil {
				return err
			}
			if rows == nil {
				rows = []describedQuota{}
			}
			return format.Print(cmd.OutOrStdout(), rows, func(w io.Writer) error {
				var t [][]string
				for _, r := range rows {
					for _, v := range sortedQuotas(r.Quotas) {
						t = append(t, []string{r.Entity, v.Key, strconv.FormatFloat(v.Value, 'f', -1, 64)})
					}
				}
				return out.Table(w, []string{"entity", "quota", "value"}, t)
			})
		},
	}
	ent.register(cmd)
	return cmd
}

func toRow(q kadm.DescribedClientQuota) describedQuota {
	r := describedQuota{Entity: entityText(q.Entity), Quotas: map[string]float64{}}
	for _, c := range q.Entity {
		name := ""
		if c.Name != nil {
			name = *c.Name
		}
		switch c.Type {
		case "user":
			r.User = &name
		case "client-id":
			r.ClientID = &name
		}
	}
	for _, v := range q.Values {
		r.Quotas[v.Key] = v.Value
	}
	return r
}

func sortedQuotas(m map[string]float64) []kadm.ClientQuotaValue {
	var vs []kadm.ClientQuotaValue
	for k, v := range m {
		vs = append(vs, kadm.ClientQuotaValue{Key: k, Value: v})
	}
	slices.SortFunc(vs, func(a, b kadm.ClientQuotaValue) int { return strings.Compare(a.Key, b.Key) })
	return vs
}
