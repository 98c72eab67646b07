package bench

import (
	"context"
	"github.com/spf13/cobra"

	engine "github.com/strom-project/strom/internal/bench"
)

func newConsumeCommand(c *common) *cobra.Command {
	var cfg engine.ConsumeConfig
	cmd := &cobra.Command{
		Use:   "consume",
		Short: "Read a topic as fast as possible and report throughput",
		Long: `Read --topic with --consumers independent clients, each assigned a
round-robin share of the partitions (kgo.ConsumePartitions; no consumer
group), starting at the log start offsets (--from start) or at the end
(--from end, only records produced after the run starts).

The run stops after --records records or --duration. With neither, --from
start reads every record present when the run starts, and --from end runs
until Ctrl-C.`,
		Example: `  # read back what "strom bench produce" wrote
  strom bench consume

  # 4 consumers over a 12-partition topic, JSON result
  strom bench consume --consumers 4 --format json

  # tail the topic for 30s while another process produces
  strom bench consume --from end --duration 30s`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := c.validate(); err != nil {
				return err
			}
			cfg.Brokers, cfg.Topic, cfg.ClientOpts = c.brokers, c.topic, c.opts
			cfg.Progress = c.progress(cmd.ErrOrStderr())
			return execute(cmd, c, nil, func(ctx context.Context) (*engine.Result, error) {
				return engine.Consume(ctx, cfg)
			})
		},
	}
	fs := cmd.Flags()
	fs.Int64Var(&cfg.Records, "records", 0, "records to read (0: all present at start with --from start, no limit with --from end)")
	fs.DurationVar(&cfg.Duration, "duration", 0, "stop after this long (0: no limit)")
	fs.StringVar(&cfg.From, "from", "start", "where to start: start or end")
	fs.IntVar(&cfg.Consumers, "consumers", 1, "independent consumer clients, each with a share of the partitions")
	return cmd
}
