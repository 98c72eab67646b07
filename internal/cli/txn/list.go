package txn

import (
	"context"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/strom-project/strom/internal/cli/kafka"
	"github.com/strom-project/strom/internal/cli/out"
)

type listed struct {
	TransactionalID string `json:"transactional_id"`
	Coordinator     int32  `json:"coordinator"`
	ProducerID      int64  `json:"producer_id"`
	State           string `json:"state"`
}

func listCommand(cfg *kafka.Config, format *out.Format) *cobra.Command {
	var (
		states []string
		pids   []int64
	)
	cmd := &cobra.Command{
		Use:     "list [--state S]... [--producer-id N]...",
		Short:   "List transactional ids (ListTransactions, every broker)",
		Example: "  strom txn list\n  strom txn list --state Ongoing --format json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rows := []listed{}
			err := cfg.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				ls, err := adm.ListTransactions(ctx, pids, states)
				if err != nil {
					return err
				}
				for _, l := range ls.Sorted() {
					rows = append(rows, listed{l.TxnID, l.Coordinator, l.ProducerID, l.State})
				}
				return nil
			})
			if err != nil {
				return err
			}
			return format.Print(cmd.OutOrStdout(), rows, func(w io.Writer) error {
				t := make([][]string, len(rows))
				for i, r := range rows {
					t[i] = []string{r.TransactionalID, strconv.Itoa(int(r.Coordinator)), strconv.FormatInt(r.ProducerID, 10), r.State}
				}
				return out.Table(w, []string{"transactional-id", "coordinator", "producer-id", "state"}, t)
			})
		},
	}
	cmd.Flags().StringSliceVar(&states, "state", nil, "only these states (Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort)")
	cmd.Flags().Int64SliceVar(&pids, "producer-id", nil, "only these producer ids")
	return cmd
}

type described struct {
	TransactionalID string   `json:"transactional_id"`
	Coordinator     int32    `json:"coordinator"`
	State           string   `json:"state"`
	ProducerID      int64    `json:"producer_id"`
	ProducerEpoch   int16    `json:"producer_epoch"`
	TimeoutMs       int32    `json:"timeout_ms"`
	Started         string   `json:"started,omitempty"`
	Partitions      []string `json:"partitions"`
}

func describeCommand(cfg *kafka.Config, format *out.Format) *cobra.Command {
	return &cobra.Command{
		Use:     "describe TRANSACTIONAL-ID...",
		Short:   "Describe transactions (DescribeTransactions)",
		Example: "  strom txn describe payments-tx",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rows := []described{}
			err := cfg.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				ds, err := adm.DescribeTransactions(ctx, args...)
				if err != nil {
					return err
				}
				for _, id := range args {
					d, ok := ds[id]
					if !ok {
						continue
					}
					if d.Err != nil {
						return kafkaErr(id, d.Err)
					}
					r := described{TransactionalID: id, Coordinator: d.Coordinator, State: d.State, ProducerID: d.ProducerID,
						ProducerEpoch: d.ProducerEpoch, TimeoutMs: d.TimeoutMillis, Partitions: []string{}}
					if d.StartTimestamp > 0 {
						r.Started = time.UnixMilli(d.StartTimestamp).UTC().Format(time.RFC3339)
					}
					d.Topics.EachPartitions(func(topic string, ps []int32) {
						for _, p := range ps {
							r.Partitions = append(r.Partitions, topic+"-"+strconv.Itoa(int(p)))
						}
					})
					sort.Strings(r.Partitions)
					rows = append(rows, r)
				}
				return nil
			})
			if err != nil {
				return err
			}
			return format.Print(cmd.OutOrStdout(), rows, func(w io.Writer) error {
				t := make([][]string, len(rows))
				for i, r := range rows {
					t[i] = []string{r.TransactionalID, strconv.Itoa(int(r.Coordinator)), r.State, strconv.FormatInt(r.ProducerID, 10),
						strconv.Itoa(int(r.ProducerEpoch)), strconv.Itoa(int(r.TimeoutMs)), r.Started, strings.Join(r.Partitions, ",")}
				}
				return out.Table(w, []string{"transactional-id", "coordinator", "state", "producer-id", "epoch", "timeout-ms", "started", "partitions"}, t)
			})
		},
	}
}
