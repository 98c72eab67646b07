package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/twmb/franz-go/pkg/kgo"

	engine "github.com/strom-project/strom/internal/bench"
	"github.com/strom-project/strom/internal/cli/kafka"
)

// BrokersEnv names the environment variable that sets the default --brokers.
const BrokersEnv = kafka.BrokersEnv

// NewCommand returns the `bench` command with its produce, consume and e2e
// subcommands.
func NewCommand() *cobra.Command {
	c := &common{}
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure produce, consume and end-to-end throughput and latency",
		Long: `Measure a Kafka-wire broker (Strom, Kafka, anything that speaks the protocol)
with franz-go clients, the way kafka-producer-perf-test.sh and the
OpenMessaging Benchmark do.

Results go to stdout, as text or, with --format json, as one JSON object;
live progress goes to stderr every second on a terminal, every 5 seconds
otherwise, never with --quiet. Ctrl-C stops a run and prints what it measured.`,
		Example: `  strom bench produce --create --partitions 12 --records 1000000
  strom bench produce --sync --records 10000          # one record at a time
  strom bench consume --consumers 4
  strom bench e2e --rate 51200 --duration 60s --format json`,
		Args: cobra.NoArgs,
	}
	pf := cmd.PersistentFlags()
	pf.StringSliceVarP(&c.brokers, "brokers", "b", defaultBrokers(),
		"seed brokers, host:port, comma-separated (env "+BrokersEnv+")")
	pf.StringVarP(&c.topic, "topic", "t", "strom-bench", "topic to use")
	pf.StringVar(&c.format, "format", "text", "result format: text or json")
	pf.BoolVarP(&c.quiet, "quiet", "q", false, "no progress lines on stderr")
	c.security.Register(pf)
	cmd.AddCommand(newProduceCommand(c), newConsumeCommand(c), newE2ECommand(c))
	return cmd
}

// common holds the flags every subcommand has.
type common struct {
	brokers  []string
	topic    string
	format   string
	quiet    bool
	security kafka.Security
	opts     []kgo.Opt // from security, set by validate
}

func defaultBrokers() []string { return kafka.DefaultBrokers() }

func (c *common) validate() error {
	if c.format != "text" && c.format != "json" {
		return fmt.Errorf("invalid --format %q: want text or json", c.format)
	}
	if len(c.brokers) == 0 {
		return fmt.Errorf("no --brokers")
	}
	var err error
	c.opts, err = c.security.Opts()
	return err
}

// progress picks the progress cadence for w: every second on a terminal,
// every 5s when piped or logged, never when quiet.
func (c *common) progress(w io.Writer) engine.Progress {
	if c.quiet {
		return engine.Progress{}
	}
	interval := 5 * time.Second
	if isTerminal(w) {
		interval = time.Second
	}
	return engine.Progress{W: w, Interval: interval}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// execute is the tail every subcommand shares: stop on Ctrl-C, create the
// topic if asked (tf may be nil), run the benchmark and report it.
func execute(cmd *cobra.Command, c *common, tf *topicFlags, run func(context.Context) (*engine.Result, error)) error {
	cmd.SilenceUsage = true
	ctx, stop := runContext(cmd)
	defer stop()
	if tf != nil {
		if err := tf.ensure(ctx, c); err != nil {
			return err
		}
	}
	res, err := run(ctx)
	if err != nil {
		return err
	}
	return report(cmd, c, res)
}

// runContext is cmd's context, also ended by SIGINT or SIGTERM.
func runContext(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
}

// topicFlags are the --create family, for commands that may create the topic.
type topicFlags struct {
	spec engine.TopicSpec
}

func (t *topicFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&t.spec.Create, "create", false, "create the topic first if it does not exist")
	fs.Int32Var(&t.spec.Partitions, "partitions", 1, "partitions of a topic made by --create (-1: broker default)")
	fs.Int16Var(&t.spec.ReplicationFactor, "replication-factor", 1,
		"replication factor of a topic made by --create (-1: broker default)")
}

func (t *topicFlags) ensure(ctx context.Context, c *common) error {
	if !t.spec.Create {
		return nil
	}
	return engine.EnsureTopic(ctx, c.brokers, c.topic, t.spec, c.opts...)
}

// registerProducerFlags adds the producer knobs shared by produce and e2e.
func registerProducerFlags(fs *pflag.FlagSet, s *engine.ProducerSettings, linger time.Duration) {
	fs.StringVar(&s.Acks, "acks", "all", "acks: all, 1 or 0 (Kafka acks)")
	fs.StringVar(&s.Compression, "compression", "none",
		"batch compression: none, gzip, snappy, lz4 or zstd (Kafka compression.type)")
	lingerUsage := "how long a partition's batch waits for more records (Kafka linger.ms)"
	if linger == 0 {
		lingerUsage += " (default 0: send at once)"
	}
	fs.DurationVar(&s.Linger, "linger", linger, lingerUsage)
	fs.Int32Var(&s.BatchMaxBytes, "batch-max-bytes", 0,
		"max bytes of one partition's record batch; 0: franz-go default, 1000012 (Kafka batch.size)")
	fs.BoolVar(&s.Idempotent, "idempotent", true,
		"idempotent producer (Kafka enable.idempotence); turned off by --acks 1|0 unless set explicitly")
}

// resolveIdempotent turns idempotence off for acks other than all, as Kafka
// does, unless the user asked for it, which the engine then rejects.
func resolveIdempotent(cmd *cobra.Command, s *engine.ProducerSettings) {
	acks := strings.ToLower(s.Acks)
	if !cmd.Flags().Changed("idempotent") && acks != "all" && acks != "-1" {
		s.Idempotent = false
	}
}
