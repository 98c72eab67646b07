package topic

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/strom-project/strom/internal/cli/kafka"
	"github.com/strom-project/strom/internal/cli/out"
)

func newCreate(c *common) *cobra.Command {
	var (
		partitions int32
		replicas   int16
		configs    []string
		dryRun     bool
	)
	cmd := &cobra.Command{
		Use:   "create TOPIC...",
		Short: "Create topics",
		Long: `Create topics. Partitions and replication factor default to the
cluster's num.partitions and default.replication.factor; -c sets topic
configs by their Kafka names.`,
		Example: `  strom topic create orders
  strom topic create orders payments -p 12 -r 3
  strom topic create audit -c retention.ms=-1 -c cleanup.policy=compact
  strom topic create big -p 100 --dry-run     # validate only`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfgs := map[string]*string{}
			for _, kv := range configs {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return fmt.Errorf("-c %q: want key=value", kv)
				}
				cfgs[k] = &v
			}
			var res kadm.CreateTopicResponses
			if err := c.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) (err error) {
				create := adm.CreateTopics
				if dryRun {
					create = adm.ValidateCreateTopics
				}
				res, err = create(ctx, partitions, replicas, cfgs, args...)
				return err
			}); err != nil {
				return err
			}
			return printCreated(cmd.OutOrStdout(), c.format, res, args, dryRun)
		},
	}
	f := cmd.Flags()
	f.Int32VarP(&partitions, "partitions", "p", -1, "partitions (-1: the cluster's num.partitions)")
	f.Int16VarP(&replicas, "replication-factor", "r", -1, "replicas per partition (-1: default.replication.factor)")
	f.StringArrayVarP(&configs, "config", "c", nil, "topic config key=value (repeatable)")
	f.BoolVar(&dryRun, "dry-run", false, "validate only; create nothing")
	return cmd
}

type createdTopic struct {
	Topic             string `json:"topic"`
	ID                string `json:"id,omitempty"`
	Partitions        int32  `json:"partitions,omitempty"`
	ReplicationFactor int16  `json:"replication_factor,omitempty"`
	Error             string `json:"error,omitempty"`
}

func printCreated(w io.Writer, f out.Format, res kadm.CreateTopicResponses, order []string, dryRun bool) error {
	rows := []createdTopic{}
	failed := 0
	for _, name := range order {
		r := res[name]
		ct := createdTopic{Topic: name, Partitions: r.NumPartitions, ReplicationFactor: r.ReplicationFactor}
		if r.Err != nil {
			failed++
			ct.Error = kafka.ErrorText(r.Err, r.ErrMessage)
		} else if !dryRun {
			ct.ID = kafka.TopicID(r.ID)
		}
		rows = append(rows, ct)
	}
	err := f.Print(w, rows, func(w io.Writer) error {
		var table [][]string
		for _, r := range rows {
			status := "OK"
			if dryRun {
				status = "OK (dry run)"
			}
			if r.Error != "" {
				status = r.Error
			}
			table = append(table, []string{r.Topic, fmt.Sprint(r.Partitions), fmt.Sprint(r.ReplicationFactor), status})
		}
		return out.Table(w, []string{"topic", "partitions", "replicas", "status"}, table)
	})
	if err == nil && failed > 0 {
		err = fmt.Errorf("%d of %d topics not created", failed, len(rows))
	}
	return err
}
