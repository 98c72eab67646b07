// Package produce is `strom produce`: records from stdin, one per line.
package produce

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strom-project/strom/internal/cli/kafka"
)

// NewCommand returns `strom produce`.
func NewCommand() *cobra.Command {
	var (
		cfg         kafka.Config
		key, keySep string
		headers     []string
		partition   int32
		compression string
		acks        string
		verbose     bool
	)
	cmd := &cobra.Command{
		Use:   "produce TOPIC",
		Short: "Produce records read from stdin, one per line",
		Long: `Produce one record per line of standard input. With --key-separator
each line is split into key and value at the first separator (as kcat -K).
The producer is idempotent with acks=all unless --acks says otherwise.`,
		Example: `  echo hello | strom produce greetings
  printf 'alice:paid\nbob:refunded\n' | strom produce payments --key-separator :
  strom produce logs -H source=web -z zstd < access.log
  strom produce orders -p 3 -v        # print partition@offset of each record`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			hs, err := parseHeaders(headers)
			if err != nil {
				return err
			}
			opts, err := producerOpts(acks, compression, partition)
			if err != nil {
				return err
			}
			// Like kcat, let the broker decide about auto-creation
			// (auto.create.topics.enable); give up on a record after --timeout.
			opts = append(opts, kgo.DefaultProduceTopic(args[0]), kgo.AllowAutoTopicCreation(), kgo.RecordDeliveryTimeout(cfg.Timeout))
			cl, err := cfg.Client(opts...)
			if err != nil {
				return err
			}
			defer cl.Close()
			ctx := cmd.Context()
			var failed atomic.Int64
			var firstErr error
			var mu sync.Mutex
			n := 0
			sc := bufio.NewScanner(cmd.InOrStdin())
			sc.Buffer(make([]byte, 64<<10), 16<<20)
			for sc.Scan() {
				r := &kgo.Record{Value: []byte(sc.Text()), Headers: hs, Partition: partition}
				if key != "" {
					r.Key = []byte(key)
				}
				if keySep != "" {
					if k, v, ok := strings.Cut(sc.Text(), keySep); ok {
						r.Key, r.Value = []byte(k), []byte(v)
					}
				}
				n++
				cl.Produce(ctx, r, func(r *kgo.Record, err error) {
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						if failed.Add(1) == 1 {
							firstErr = err
						}
						return
					}
					if verbose {
						fmt.Fprintf(cmd.OutOrStdout(), "%s/%d@%d\n", r.Topic, r.Partition, r.Offset)
					}
				})
			}
			if err := sc.Err(); err != nil {
				return fmt.Errorf("reading stdin: %w", err)
			}
			if err := cl.Flush(context.WithoutCancel(ctx)); err != nil {
				return err
			}
			if f := failed.Load(); f > 0 {
				return cfg.Explain(fmt.Errorf("%d of %d records failed, first: %w", f, n, firstErr))
			}
			if verbose {
				fmt.Fprintf(os.Stderr, "produced %d records to %s\n", n, args[0])
			}
			return nil
		},
	}
	cfg.Register(cmd.Flags())
	f := cmd.Flags()
	f.StringVarP(&key, "key", "k", "", "key for every record")
	f.StringVarP(&keySep, "key-separator", "K", "", "split each line into key and value at this separator")
	f.StringArrayVarP(&headers, "header", "H", nil, "header key=value for every record (repeatable)")
	f.Int32VarP(&partition, "partition", "p", -1, "partition (-1: by key hash, else sticky)")
	f.StringVarP(&compression, "compression", "z", "snappy", "none, gzip, snappy, lz4 or zstd")
	f.StringVar(&acks, "acks", "all", "all, 1 or 0 (1 and 0 turn idempotence off)")
	f.BoolVarP(&verbose, "verbose", "v", false, "print topic/partition@offset of each record")
	return cmd
}

func parseHeaders(hs []string) ([]kgo.RecordHeader, error) {
	var out []kgo.RecordHeader
	for _, h := range hs {
		k, v, ok := strings.Cut(h, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("-H %q: want key=value", h)
		}
		out = append(out, kgo.RecordHeader{Key: k, Value: []byte(v)})
	}
	return out, nil
}

func producerOpts(acks, compression string, partition int32) ([]kgo.Opt, error) {
	var opts []kgo.Opt
	switch acks {
	case "all", "-1":
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	case "1":
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
	case "0":
		opts = append(opts, kgo.RequiredAcks(kgo.NoAck()), kgo.DisableIdempotentWrite())
	default:
		return nil, fmt.Errorf("--acks %q: want all, 1 or 0", acks)
	}
	codecs := map[string]kgo.CompressionCodec{"none": kgo.NoCompression(), "gzip": kgo.GzipCompression(),
		"snappy": kgo.SnappyCompression(), "lz4": kgo.Lz4Compression(), "zstd": kgo.ZstdCompression()}
	codec, ok := codecs[compression]
	if !ok {
		return nil, fmt.Errorf("--compression %q: want none, gzip, snappy, lz4 or zstd", compression)
	}
	opts = append(opts, kgo.ProducerBatchCompression(codec))
	if partition >= 0 {
		opts = append(opts, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	}
	return opts, nil
}
