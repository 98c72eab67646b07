package cluster

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/cli/kafka"
	"github.com/strom-project/strom/internal/cli/out"
)

// unregisterCommand is `strom cluster unregister`, kafka-cluster.sh
// unregister: decommission brokers that are gone for good.
func unregisterCommand(cfg *kafka.Config, format *out.Format) *cobra.Command {
	return &cobra.Command{
		Use:   "unregister BROKER_ID...",
		Short: "Remove the registration of brokers that are gone for good",
		Long: `Remove brokers' registrations from the cluster metadata (UnregisterBroker),
as kafka-cluster.sh unregister does. Use it after shutting a broker down for
good: it leaves every ISR, stops being counted as a fenced broker, and a
broker-only node stops following the metadata log. Its partitions keep it
as a replica until you reassign them. A broker that is still running simply
registers again.`,
		Example: "  strom cluster unregister 4\n  strom cluster unregister 4 5 --format json",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var ids []int32
			for _, a := range args {
				id, err := strconv.ParseInt(a, 10, 32)
				if err != nil || id < 0 {
					return fmt.Errorf("broker id %q: want a non-negative integer", a)
				}
				ids = append(ids, int32(id))
			}
			var rows []out.Status
			err := cfg.RunClient(cmd.Context(), func(ctx context.Context, cl *kgo.Client) error {
				for _, id := range ids {
					req := kmsg.NewPtrUnregisterBrokerRequest()
					req.BrokerID = id
					resp, err := req.RequestWith(ctx, cl)
					if err != nil {
						return err
					}
					row := out.Status{Name: strconv.Itoa(int(id))}
					if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
						row.Error = err.Error()
						if resp.ErrorMessage != nil {
							row.Error = *resp.ErrorMessage
						}
					}
					rows = append(rows, row)
				}
				return nil
			})
			if err != nil {
				return err
			}
			return format.PrintStatuses(cmd.OutOrStdout(), "broker", "not unregistered", "unregistered", rows)
		},
	}
}
