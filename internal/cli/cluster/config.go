package cluster

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/strom-project/strom/internal/cli/kafka"
	"github.com/strom-project/strom/internal/cli/out"
)

// configCommand is `strom cluster config get|set`: dynamic broker configs,
// like kafka-configs.sh --entity-type brokers.
func configCommand(cfg *kafka.Config, format *out.Format) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show and change broker configs, per broker or cluster-wide",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(configGetCommand(cfg, format), configSetCommand(cfg, format))
	return cmd
}

// brokerFlag is --broker: -1 means the cluster-wide default.
type brokerFlag struct{ id int32 }

func (b *brokerFlag) register(cmd *cobra.Command, what string) {
	b.id = -1
	cmd.Flags().Int32Var(&b.id, "broker", -1, what)
}

// ids is the kadm broker list: none for the cluster-wide default.
func (b *brokerFlag) ids() []int32 {
	if b.id < 0 {
		return nil
	}
	return []int32{b.id}
}

func (b *brokerFlag) name() string {
	if b.id < 0 {
		return "cluster default"
	}
	return "broker " + strconv.Itoa(int(b.id))
}

type brokerConfig struct {
	Name   string  `json:"name"`
	Value  *string `json:"value"`
	Source string  `json:"source"`
}

func configGetCommand(cfg *kafka.Config, format *out.Format) *cobra.Command {
	var broker brokerFlag
	cmd := &cobra.Command{
		Use:   "get [NAME...] [--broker ID]",
		Short: "Show broker configs",
		Long: `Show broker configs (DescribeConfigs). Without --broker: the cluster-wide
dynamic defaults, i.e. only what was set with "strom cluster config set"
without --broker. With --broker ID: every config of that broker with its
value and source (DYNAMIC_BROKER_CONFIG, DYNAMIC_DEFAULT_BROKER_CONFIG,
STATIC_BROKER_CONFIG or DEFAULT_CONFIG). NAMEs limit the output.`,
		Example: `  strom cluster config get
  strom cluster config get --broker 1 log.retention.ms message.max.bytes
  strom cluster config get --broker 1 --format json`,
		RunE: func(cmd *cobra.Command, names []string) error {
			var rows []brokerConfig
			err := cfg.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				rcs, err := adm.DescribeBrokerConfigs(ctx, broker.ids()...)
				if err != nil {
					return err
				}
				for _, rc := range rcs {
					if rc.Err != nil {
						return fmt.Errorf("%s: %s", broker.name(), kafka.ErrorText(rc.Err, rc.ErrMessage))
					}
					for _, c := range rc.Configs {
						if len(names) == 0 || slices.Contains(names, c.Key) {
							rows = append(rows, brokerConfig{Name: c.Key, Value: c.Value, Source: c.Source.String()})
						}
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			if rows == nil {
				rows = []brokerConfig{}
			}
			slices.SortFunc(rows, func(a, b brokerConfig) int { return strings.Compare(a.Name, b.Name) })
			return format.Print(cmd.OutOrStdout(), rows, func(w io.Writer) error {
				t := make([][]string, 0, len(rows))
				for _, r := range rows {
					v := "null"
					if r.Value != nil {
						v = *r.Value
					}
					t = append(t, []string{r.Name, v, r.Source})
				}
				return out.Table(w, []string{"config", "value", "source"}, t)
			})
		},
	}
	broker.register(cmd, "describe this broker's configs instead of the cluster-wide defaults")
	return cmd
}

func configSetCommand(cfg *kafka.Config, format *out.Format) *cobra.Command {
	var (
		broker brokerFlag
		del    []string
		dryRun bool
	)
	cmd := &cobra.Command{
		Use:   "set [KEY=VALUE...] [--delete KEY]... [--broker ID]",
		Short: "Change dynamic broker configs",
		Long: `Change broker configs while the cluster runs (IncrementalAlterConfigs), as
the cluster-wide default or, with --broker ID, for one broker. --delete removes
a dynamic value (the broker falls back to the cluster default, then
server.properties). Topics without their own value follow the new broker value
at once. Configs that need a restart are refused; docs/configuration.md lists
which are dynamic.`,
		Example: `  strom cluster config set log.retention.ms=86400000 message.max.bytes=2097152
  strom cluster config set min.insync.replicas=2 --broker 3
  strom cluster config set --delete log.retention.ms`,
		RunE: func(cmd *cobra.Command, args []string) error {
			var ops []kadm.AlterConfig
			for _, kv := range args {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return fmt.Errorf("%q: want key=value", kv)
				}
				ops = append(ops, kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: &v})
			}
			for _, k := range del {
				ops = append(ops, kadm.AlterConfig{Op: kadm.DeleteConfig, Name: k})
			}
			if len(ops) == 0 {
				return fmt.Errorf("nothing to change: give key=value arguments or --delete")
			}
			row := out.Status{Name: broker.name()}
			err := cfg.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				alter := adm.AlterBrokerConfigs
				if dryRun {
					alter = adm.ValidateAlterBrokerConfigs
				}
				res, err := alter(ctx, ops, broker.ids()...)
				for _, r := range res {
					if r.Err != nil {
						row.Error = kafka.ErrorText(r.Err, r.ErrMessage)
					}
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
			return format.PrintStatuses(cmd.OutOrStdout(), "config", "not changed", ok, []out.Status{row})
		},
	}
	broker.register(cmd, "change this broker's configs instead of the cluster-wide defaults")
	cmd.Flags().StringArrayVar(&del, "delete", nil, "remove a dynamic config (repeatable)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "validate only")
	return cmd
}
