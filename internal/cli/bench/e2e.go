package bench

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	engine "github.com/strom-project/strom/internal/bench"
)

func newE2ECommand(c *common) *cobra.Command {
	var (
		cfg engine.E2EConfig
		tf  topicFlags
	)
	cmd := &cobra.Command{
		Use:   "e2e",
		Short: "Produce at a fixed rate while consuming, and report produce→consume latency",
		Long: `Produce at a fixed --rate with the send time inside each payload while
--consumers read the topic from its end, and report the end-to-end latency:
from handing a record to the producer until a consumer's poll returns it.
Producer and consumers run in this process on one monotonic clock, so no
clock skew enters the figure. Produce (ack) latency is reported too.

Sending stops after --records or --duration; then the run waits up to
--drain for records still in transit. Records acknowledged but never
consumed are reported as lost and fail the command.`,
		Example: `  # 50 MB/s of 1 KiB records for a minute into a new 3-replica topic
  strom bench e2e --create --partitions 12 --replication-factor 3 --rate 51200 --duration 60s

  # a gentle latency probe, JSON result
  strom bench e2e --rate 1000 --duration 10s --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := c.validate(); err != nil {
				return err
			}
			if cmd.Flags().Changed("records") && !cmd.Flags().Changed("duration") {
				cfg.Duration = 0 // --records alone means all of them
			}
			resolveIdempotent(cmd, &cfg.ProducerSettings)
			cfg.Brokers, cfg.Topic, cfg.ClientOpts = c.brokers, c.topic, c.opts
			cfg.Progress = c.progress(cmd.ErrOrStderr())
			return execute(cmd, c, &tf, func(ctx context.Context) (*engine.Result, error) {
				return engine.EndToEnd(ctx, cfg)
			})
		},
	}
	fs := cmd.Flags()
	fs.Float64Var(&cfg.Rate, "rate", 1000, "records/s to produce")
	fs.Int64Var(&cfg.Records, "records", 0, "records to send (0: no limit)")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second,
		"stop sending after this long (0: no limit; ignored if only --records is given)")
	fs.IntVar(&cfg.RecordSize, "record-size", 1024, "value bytes per record, at least 16 (the timestamp stamp)")
	fs.IntVar(&cfg.Consumers, "consumers", 1, "independent consumer clients, each with a share of the partitions")
	fs.DurationVar(&cfg.Drain, "drain", 10*time.Second, "after the last ack, how long to wait for records still in transit")
	// No batching delay by default: this command measures latency.
	registerProducerFlags(fs, &cfg.ProducerSettings, 0)
	tf.register(fs)
	return cmd
}
