package bench

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	engine "github.com/strom-project/strom/internal/bench"
)

// defaultRecords is the size of a produce run given neither --records nor
// --duration: about a gigabyte of 1 KiB records.
const defaultRecords = 1_000_000

func newProduceCommand(c *common) *cobra.Command {
	var (
		cfg engine.ProduceConfig
		tf  topicFlags
	)
	cmd := &cobra.Command{
		Use:   "produce",
		Short: "Produce records as fast as allowed and report throughput and produce latency",
		Long: `Produce records of --record-size random bytes to --topic from --producers
independent clients (each its own connections), unthrottled or at
--throughput records/s in total, until --records are sent or --duration has
passed (1,000,000 records when neither is given).

Produce latency is measured per record, from handing it to the client until
the broker's acknowledgement reaches its promise, so it includes the time a
record waits in its batch (--linger). With --sync each producer instead sends
one record at a time and waits for its ack (ProduceSync): the "one record at a
time" latency, with --linger 0 unless given.`,
		Example: `  # 1M records of 1 KiB, acks=all, into a new 12-partition topic
  strom bench produce --create --partitions 12 --records 1000000

  # 60s at a fixed 50,000 rec/s from 4 producers, lz4, JSON result
  strom bench produce --duration 60s --throughput 50000 --producers 4 --compression lz4 --format json

  # one record at a time: p50/p99 of a lone produce
  strom bench produce --sync --records 10000 --record-size 100`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := c.validate(); err != nil {
				return err
			}
			if cfg.Records == 0 && cfg.Duration == 0 {
				cfg.Records = defaultRecords
			}
			if cfg.Sync && !cmd.Flags().Changed("linger") {
				cfg.Linger = 0
			}
			resolveIdempotent(cmd, &cfg.ProducerSettings)
			cfg.Brokers, cfg.Topic, cfg.ClientOpts = c.brokers, c.topic, c.opts
			cfg.Progress = c.progress(cmd.ErrOrStderr())
			return execute(cmd, c, &tf, func(ctx context.Context) (*engine.Result, error) {
				return engine.Produce(ctx, cfg)
			})
		},
	}
	fs := cmd.Flags()
	fs.Int64Var(&cfg.Records, "records", 0, "records to send in total (0: no limit; default 1000000 if --duration is 0 too)")
	fs.DurationVar(&cfg.Duration, "duration", 0, "stop sending after this long (0: no limit)")
	fs.IntVar(&cfg.RecordSize, "record-size", 1024, "value bytes per record")
	fs.Float64Var(&cfg.Throughput, "throughput", -1, "target records/s over all producers (-1: unthrottled)")
	fs.IntVar(&cfg.Producers, "producers", 1, "independent producer clients")
	fs.BoolVar(&cfg.Sync, "sync", false, "send one record at a time per producer and wait for its ack")
	registerProducerFlags(fs, &cfg.ProducerSettings, defaultLinger)
	tf.register(fs)
	return cmd
}

// defaultLinger is franz-go's own default, kept for throughput runs.
const defaultLinger = 10 * time.Millisecond
