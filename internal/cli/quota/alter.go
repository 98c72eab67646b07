package quota

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/strom-project/strom/internal/cli/kafka"
	"github.com/strom-project/strom/internal/cli/out"
)

type alterResult struct {
	Entity string `json:"entity"`
	Status string `json:"status"`
}

func alterCommand(cfg *kafka.Config, format *out.Format) *cobra.Command {
	var (
		ent    entityFlags
		set    []string
		del    []string
		dryRun bool
	)
	cmd := &cobra.Command{
		Use:   "alter (--user U | --default-user) (--client-id C | --default-client-id) [--set KEY=VALUE]... [--delete KEY]...",
		Short: "Set or remove client quotas of one entity",
		Long: `Set or remove quotas of one entity (AlterClientQuotas). Keys:
producer_byte_rate and consumer_byte_rate (bytes per second, integers),
request_percentage (percent of one request thread, may be fractional), and
controller_mutation_rate (stored for Kafka tools, not enforced by Strom).
Give at least one of --user/--default-user and --client-id/--default-client-id.`,
		Example: `  strom quota alter --client-id slow --set producer_byte_rate=1048576
  strom quota alter --user alice --default-client-id --set consumer_byte_rate=2097152 --delete producer_byte_rate
  strom quota alter --default-user --set request_percentage=50 --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			entity, err := ent.entity()
			if err != nil {
				return err
			}
			if len(entity) == 0 {
				return errors.New("name an entity: --user, --default-user, --client-id or --default-client-id")
			}
			ops, err := quotaOps(set, del)
			if err != nil {
				return err
			}
			entry := []kadm.AlterClientQuotaEntry{{Entity: entity, Ops: ops}}
			var row alterResult
			err = cfg.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				alter := adm.AlterClientQuotas
				if dryRun {
					alter = adm.ValidateAlterClientQuotas
				}
				res, err := alter(ctx, entry)
				if err != nil {
					return err
				}
				if len(res) != 1 {
					return fmt.Errorf("the broker answered %d entities for one", len(res))
				}
				if res[0].Err != nil {
					return fmt.Errorf("%s: %s", entityText(entity), kafka.ErrorText(res[0].Err, res[0].ErrMessage))
				}
				row = alterResult{Entity: entityText(entity), Status: "OK"}
				if dryRun {
					row.Status = "OK (dry run)"
				}
				return nil
			})
			if err != nil {
				return err
			}
			return format.Print(cmd.OutOrStdout(), []alterResult{row}, func(w io.Writer) error {
				return out.Table(w, []string{"entity", "status"}, [][]string{{row.Entity, row.Status}})
			})
		},
	}
	ent.register(cmd)
	cmd.Flags().StringArrayVar(&set, "set", nil, "set a quota, KEY=VALUE (repeatable)")
	cmd.Flags().StringArrayVar(&del, "delete", nil, "remove a quota, KEY (repeatable)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "validate only (validate_only); change nothing")
	return cmd
}

// quotaOps parses --set and --delete.
func quotaOps(set, del []string) ([]kadm.AlterClientQuotaOp, error) {
	var ops []kadm.AlterClientQuotaOp
	for _, s := range set {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--set %q: want KEY=VALUE", s)
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("--set %s: %q is not a number", k, v)
		}
		ops = append(ops, kadm.AlterClientQuotaOp{Key: k, Value: f})
	}
	for _, k := range del {
		ops = append(ops, kadm.AlterClientQuotaOp{Key: k, Remove: true})
	}
	if len(ops) == 0 {
		return nil, errors.New("nothing to change: give --set or --delete")
	}
	return ops, nil
}
