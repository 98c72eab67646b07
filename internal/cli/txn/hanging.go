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

// findHangingCommand is kafka-transactions.sh find-hanging: a producer
// with a transaction open on a partition for longer than the longest
// transaction timeout, which its coordinator does not know as ongoing on
// that partition, holds the partition's last stable offset back for good.
func findHangingCommand(cfg *kafka.Config, format *out.Format) *cobra.Command {
	var (
		topics []string
		maxAge time.Duration
	)
	cmd := &cobra.Command{
		Use:   "find-hanging [--topic T]... [--max-transaction-timeout 15m]",
		Short: "Find transactions left open on partitions",
		Long: `List producers whose transaction has been open on a partition longer than
--max-transaction-timeout (transaction.max.timeout.ms, 15 minutes by default)
and that their coordinator does not know as ongoing on that partition.
Abort one with strom txn abort --topic T --partition P --start-offset O.`,
		Example: "  strom txn find-hanging\n  strom txn find-hanging --topic payments --max-transaction-timeout 1m",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var hanging []producer
			err := cfg.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				ps, err := producersOf(ctx, adm, topics, nil)
				if err != nil {
					return err
				}
				cutoff := time.Now().Add(-maxAge).UnixMilli()
				for _, p := range ps {
					if p.TxnStartOffset < 0 || p.LastTimestamp > cutoff {
						continue
					}
					known, err := coordinatorKnows(ctx, adm, p)
					if err != nil {
						return err
					}
					if !known {
						hanging = append(hanging, p)
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			return printProducers(cmd, format, hanging)
		},
	}
	cmd.Flags().StringSliceVar(&topics, "topic", nil, "only these topics (default: all but internal ones)")
	cmd.Flags().DurationVar(&maxAge, "max-transaction-timeout", 15*time.Minute, "the longest transaction timeout allowed (transaction.max.timeout.ms)")
	return cmd
}

// coordinatorKnows reports whether some coordinator has p's producer with
// an ongoing transaction that includes p's partition.
func coordinatorKnows(ctx context.Context, adm *kadm.Client, p producer) (bool, error) {
	ls, err := adm.ListTransactions(ctx, []int64{p.ProducerID}, nil)
	if err != nil {
		return false, err
	}
	for id := range ls {
		ds, err := adm.DescribeTransactions(ctx, id)
		if err != nil {
			return false, err
		}
		d := ds[id]
		if d.Err != nil || d.ProducerID != p.ProducerID || d.State != "Ongoing" {
			continue
		}
		if _, ok := d.Topics[p.Topic][p.Partition]; ok {
			return true, nil
		}
	}
	return false, nil
}

// abortCommand is kafka-transactions.sh abort: the partition leader writes
// an ABORT marker for the producer whose transaction starts at the given
// offset, with the producer's epoch and its last coordinator epoch.
func abortCommand(cfg *kafka.Config, format *out.Format) *cobra.Command {
	var (
		topic       string
		partition   int32
		startOffset int64
	)
	cmd := &cobra.Command{
		Use:   "abort --topic T --partition P --start-offset O",
		Short: "Abort a hanging transaction on one partition",
		Long: `Write an ABORT marker on the partition for the producer whose open
transaction starts at --start-offset (as strom txn find-hanging or
describe-producers show it). Only for hanging transactions: aborting a live
one breaks its producer's exactly-once guarantee.`,
		Example: "  strom txn abort --topic payments --partition 0 --start-offset 4211",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if topic == "" || startOffset < 0 {
				return errors.New("--topic, --partition and --start-offset are required")
			}
			var aborted producer
			err := cfg.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				ps, err := producersOf(ctx, adm, []string{topic}, []int32{partition})
				if err != nil {
					return err
				}
				found := false
				for _, p := range ps {
					if p.TxnStartOffset == startOffset {
						aborted, found = p, true
					}
				}
				if !found {
					return fmt.Errorf("no open transaction starts at offset %d of %s-%d", startOffset, topic, partition)
				}
				set := kadm.TopicsSet{}
				set.Add(topic, partition)
				res, err := adm.WriteTxnMarkers(ctx, kadm.TxnMarkers{ProducerID: aborted.ProducerID, ProducerEpoch: aborted.ProducerEpoch,
					CoordinatorEpoch: max(aborted.CoordinatorEpoch, 0), Topics: set})
				if err != nil {
					return err
				}
				var werr error
				res.EachPartition(func(r kadm.TxnMarkersPartitionResponse) {
					if r.Err != nil {
						werr = kafkaErr(fmt.Sprintf("%s-%d", r.Topic, r.Partition), r.Err)
					}
				})
				return werr
			})
			if err != nil {
				return err
			}
			return format.Print(cmd.OutOrStdout(), aborted, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "aborted the transaction of producer %d (epoch %d) starting at %s-%d offset %s\n",
					aborted.ProducerID, aborted.ProducerEpoch, topic, partition, strconv.FormatInt(startOffset, 10))
				return err
			})
		},
	}
	cmd.Flags().StringVar(&topic, "topic", "", "the topic")
	cmd.Flags().Int32Var(&partition, "partition", 0, "the partition")
	cmd.Flags().Int64Var(&startOffset, "start-offset", -1, "first offset of the transaction to abort")
	return cmd
}
