package topic

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/strom-project/strom/internal/cli/kafka"
	"github.com/strom-project/strom/internal/cli/out"
)

type describedPartition struct {
	Partition     int32   `json:"partition"`
	Leader        int32   `json:"leader"`
	LeaderEpoch   int32   `json:"leader_epoch"`
	Replicas      []int32 `json:"replicas"`
	ISR           []int32 `json:"isr"`
	LogStart      int64   `json:"log_start_offset"`
	HighWatermark int64   `json:"high_watermark"`
	Error         string  `json:"error,omitempty"`
}

type describedTopic struct {
	Topic      string               `json:"topic"`
	ID         string               `json:"id"`
	Internal   bool                 `json:"internal"`
	Partitions []describedPartition `json:"partitions"`
	Configs    []describedConfig    `json:"configs"`
}

type describedConfig struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Source string `json:"source"`
}

func newDescribe(c *common) *cobra.Command {
	var regex, allConfigs bool
	cmd := &cobra.Command{
		Use:   "describe TOPIC...",
		Short: "Show topics' partitions, leaders, ISR, offsets and configs",
		Long: `Show each topic's partitions (leader, leader epoch, replicas, in-sync
replicas, log start offset and high watermark) and the configs set on it
(--all-configs: every config with its source).`,
		Example: `  strom topic describe orders
  strom topic describe 'orders.*' --regex --all-configs --format yaml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var topics []describedTopic
			err := c.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				all, err := adm.ListTopicsWithInternal(ctx)
				if err != nil {
					return err
				}
				names, err := selectTopics(all, args, regex)
				if err != nil {
					return err
				}
				for _, n := range names {
					d, ok := all[n]
					if !ok || d.Err != nil {
						return fmt.Errorf("topic %s: %w", n, firstErr(d.Err))
					}
					topics = append(topics, describedTopic{Topic: n, ID: kafka.TopicID(d.ID), Internal: d.IsInternal,
						Partitions: []describedPartition{}, Configs: []describedConfig{}})
				}
				starts, err := adm.ListStartOffsets(ctx, names...)
				if err != nil {
					return err
				}
				ends, err := adm.ListEndOffsets(ctx, names...)
				if err != nil {
					return err
				}
				cfgs, err := adm.DescribeTopicConfigs(ctx, names...)
				if err != nil {
					return err
				}
				for i := range topics {
					fillTopic(&topics[i], all[topics[i].Topic], starts, ends, cfgs, allConfigs)
				}
				return nil
			})
			if err != nil {
				return err
			}
			return c.format.Print(cmd.OutOrStdout(), topics, func(w io.Writer) error { return printTopics(w, topics) })
		},
	}
	cmd.Flags().BoolVar(&regex, "regex", false, "arguments are regular expressions")
	cmd.Flags().BoolVar(&allConfigs, "all-configs", false, "show every config, not only those set on the topic")
	return cmd
}

func firstErr(err error) error {
	if err == nil {
		return fmt.Errorf("not found")
	}
	return err
}

func fillTopic(t *describedTopic, d kadm.TopicDetail, starts, ends kadm.ListedOffsets, cfgs kadm.ResourceConfigs, allConfigs bool) {
	for _, p := range d.Partitions.Sorted() {
		dp := describedPartition{Partition: p.Partition, Leader: p.Leader, LeaderEpoch: p.LeaderEpoch,
			Replicas: p.Replicas, ISR: p.ISR, LogStart: -1, HighWatermark: -1}
		if p.Err != nil {
			dp.Error = p.Err.Error()
		}
		if o, ok := starts.Lookup(t.Topic, p.Partition); ok && o.Err == nil {
			dp.LogStart = o.Offset
		}
		if o, ok := ends.Lookup(t.Topic, p.Partition); ok && o.Err == nil {
			dp.HighWatermark = o.Offset
		}
		t.Partitions = append(t.Partitions, dp)
	}
	if rc, err := cfgs.On(t.Topic, nil); err == nil {
		for _, kv := range rc.Configs {
			if !allConfigs && kv.Source != 1 { // DYNAMIC_TOPIC_CONFIG: set on the topic
				continue
			}
			t.Configs = append(t.Configs, describedConfig{Name: kv.Key, Value: kv.MaybeValue(), Source: kv.Source.String()})
		}
		sort.Slice(t.Configs, func(i, j int) bool { return t.Configs[i].Name < t.Configs[j].Name })
	}
}

func printTopics(w io.Writer, topics []describedTopic) error {
	for i, t := range topics {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "TOPIC %s  ID %s  PARTITIONS %d", t.Topic, t.ID, len(t.Partitions))
		if t.Internal {
			fmt.Fprint(w, "  INTERNAL")
		}
		fmt.Fprintln(w)
		var rows [][]string
		for _, p := range t.Partitions {
			rows = append(rows, []string{fmt.Sprint(p.Partition), fmt.Sprint(p.Leader), fmt.Sprint(p.LeaderEpoch),
				ints(p.Replicas), ints(p.ISR), fmt.Sprint(p.LogStart), fmt.Sprint(p.HighWatermark)})
		}
		if err := out.Table(w, []string{"partition", "leader", "epoch", "replicas", "isr", "log-start", "high-watermark"}, rows); err != nil {
			return err
		}
		if len(t.Configs) > 0 {
			fmt.Fprintln(w)
			var rows [][]string
			for _, c := range t.Configs {
				rows = append(rows, []string{c.Name, c.Value, c.Source})
			}
			if err := out.Table(w, []string{"config", "value", "source"}, rows); err != nil {
				return err
			}
		}
	}
	return nil
}

func ints(xs []int32) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return "[" + strings.Join(s, ",") + "]"
}
