package topic

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/strom-project/strom/internal/cli/kafka"
	"github.com/strom-project/strom/internal/cli/out"
)

func newAlterConfig(c *common) *cobra.Command {
	var set, del, add, sub []string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "alter-config TOPIC... [--set k=v]... [--delete k]... [--append k=v]... [--subtract k=v]...",
		Short: "Change topic configs (IncrementalAlterConfigs)",
		Long: `Change the configs set on topics, like kafka-configs.sh --alter. --set sets a
config, --delete removes the topic's own value (it falls back to the broker's),
--append and --subtract add or remove values of list configs such as
cleanup.policy. Changes apply at once on every broker. --dry-run only validates.
Config names, types and valid values: docs/configuration.md.`,
		Example: `  strom topic alter-config orders --set retention.ms=86400000 --set max.message.bytes=2097152
  strom topic alter-config orders --delete retention.ms
  strom topic alter-config audit --append cleanup.policy=compact --dry-run`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ops, err := alterOps(set, del, add, sub)
			if err != nil {
				return err
			}
			var rows []out.Status
			err = c.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				alter := adm.AlterTopicConfigs
				if dryRun {
					alter = adm.ValidateAlterTopicConfigs
				}
				res, err := alter(ctx, ops, args...)
				for _, r := range res {
					row := out.Status{Name: r.Name}
					if r.Err != nil {
						row.Error = kafka.ErrorText(r.Err, r.ErrMessage)
					}
					rows = append(rows, row)
				}
				return err
			})
			if err != nil {
				return err
			}
			ok := "OK"
			if dryRun {
				ok = "OK (dry run, nothing changed)"
			}
			return c.format.PrintStatuses(cmd.OutOrStdout(), "topic", "not altered", ok, rows)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&set, "set", nil, "set a config, key=value (repeatable)")
	f.StringArrayVar(&del, "delete", nil, "remove the topic's value of a config (repeatable)")
	f.StringArrayVar(&add, "append", nil, "add values to a list config, key=v1,v2 (repeatable)")
	f.StringArrayVar(&sub, "subtract", nil, "remove values from a list config, key=v1,v2 (repeatable)")
	f.BoolVar(&dryRun, "dry-run", false, "validate only")
	return cmd
}

// alterOps turns the flags into IncrementalAlterConfigs operations.
func alterOps(set, del, add, sub []string) ([]kadm.AlterConfig, error) {
	var ops []kadm.AlterConfig
	for _, g := range []struct {
		flag string
		op   kadm.IncrementalOp
		kvs  []string
	}{{"--set", kadm.SetConfig, set}, {"--append", kadm.AppendConfig, add}, {"--subtract", kadm.SubtractConfig, sub}} {
		for _, kv := range g.kvs {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return nil, fmt.Errorf("%s %q: want key=value", g.flag, kv)
			}
			ops = append(ops, kadm.AlterConfig{Op: g.op, Name: k, Value: &v})
		}
	}
	for _, k := range del {
		ops = append(ops, kadm.AlterConfig{Op: kadm.DeleteConfig, Name: k})
	}
	if len(ops) == 0 {
		return nil, fmt.Errorf("nothing to change: give --set, --delete, --append or --subtract")
	}
	return ops, nil
}
