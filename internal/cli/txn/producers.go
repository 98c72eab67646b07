package txn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/strom-project/strom/internal/cli/kafka"
	"github.com/strom-project/strom/internal/cli/out"
)

// producer is one active producer of a partition in the output.
type producer struct {
	Topic            string `json:"topic"`
	Partition        int32  `json:"partition"`
	Leader           int32  `json:"leader"`
	ProducerID       int64  `json:"producer_id"`
	ProducerEpoch    int16  `json:"producer_epoch"`
	LastSequence     int32  `json:"last_sequence"`
	LastTimestamp    int64  `json:"last_timestamp"`
	CoordinatorEpoch int32  `json:"coordinator_epoch"`
	TxnStartOffset   int64  `json:"current_txn_start_offset"`
}

func kafkaErr(what string, err error) error {
	return fmt.Errorf("%s: %s", what, kafka.ErrorText(err, ""))
}

// producersOf describes the producers of the named partitions (all of the
// topics' when partitions is empty; every topic when topics is empty).
func producersOf(ctx context.Context, adm *kadm.Client, topics []string, partitions []int32) ([]producer, error) {
	md, err := adm.Metadata(ctx, topics...)
	if err != nil {
		return nil, err
	}
	set := kadm.TopicsSet{}
	for _, t := range md.Topics.Sorted() {
		if t.Err != nil {
			return nil, kafkaErr(t.Topic, t.Err)
		}
		if t.IsInternal && len(topics) == 0 {
			continue
		}
		for _, p := range t.Partitions.Sorted() {
			if len(partitions) == 0 || contains(partitions, p.Partition) {
				set.Add(t.Topic, p.Partition)
			}
		}
	}
	if len(set) == 0 {
		return nil, nil
	}
	ds, err := adm.DescribeProducers(ctx, set)
	if err != nil {
		return nil, err
	}
	var rows []producer
	for _, t := range ds.Sorted() {
		for _, p := range t.Partitions.Sorted() {
			if p.Err != nil {
				return nil, kafkaErr(fmt.Sprintf("%s-%d", t.Topic, p.Partition), p.Err)
			}
			for _, d := range p.ActiveProducers.Sorted() {
				rows = append(rows, producer{d.Topic, d.Partition, d.Leader, d.ProducerID, d.ProducerEpoch, d.LastSequence,
					d.LastTimestamp, d.CoordinatorEpoch, d.CurrentTxnStartOffset})
			}
		}
	}
	return rows, nil
}

func contains(ps []int32, p int32) bool {
	for _, x := range ps {
		if x == p {
			return true
		}
	}
	return false
}

func printProducers(cmd *cobra.Command, format *out.Format, rows []producer) error {
	if rows == nil {
		rows = []producer{}
	}
	return format.Print(cmd.OutOrStdout(), rows, func(w io.Writer) error {
		t := make([][]string, len(rows))
		for i, r := range rows {
			ts := ""
			if r.LastTimestamp > 0 {
				ts = time.UnixMilli(r.LastTimestamp).UTC().Format(time.RFC3339)
			}
			t[i] = []string{r.Topic, strconv.Itoa(int(r.Partition)), strconv.FormatInt(r.ProducerID, 10), strconv.Itoa(int(r.ProducerEpoch)),
				strconv.Itoa(int(r.LastSequence)), ts, strconv.Itoa(int(r.CoordinatorEpoch)), strconv.FormatInt(r.TxnStartOffset, 10)}
		}
		return out.Table(w, []string{"topic", "partition", "producer-id", "epoch", "last-sequence", "last-timestamp", "coordinator-epoch", "txn-start-offset"}, t)
	})
}

func producersCommand(cfg *kafka.Config, format *out.Format) *cobra.Command {
	var (
		topic      string
		partitions []int32
	)
	cmd := &cobra.Command{
		Use:     "describe-producers --topic T [--partition P]...",
		Short:   "Show a partition's active producers (DescribeProducers)",
		Long:    "The idempotent and transactional producers the partition leaders track; txn-start-offset is the first offset of a producer's open transaction (-1: none).",
		Example: "  strom txn describe-producers --topic payments --partition 0",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if topic == "" {
				return errors.New("--topic is required")
			}
			var rows []producer
			err := cfg.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				var err error
				rows, err = producersOf(ctx, adm, []string{topic}, partitions)
				return err
			})
			if err != nil {
				return err
			}
			return printProducers(cmd, format, rows)
		},
	}
	cmd.Flags().StringVar(&topic, "topic", "", "the topic")
	cmd.Flags().Int32SliceVar(&partitions, "partition", nil, "partitions (default: all)")
	return cmd
}
