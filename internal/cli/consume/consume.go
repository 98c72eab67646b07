package consume

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strom-project/strom/internal/cli/kafka"
)

type options struct {
	cfg           kafka.Config
	offset        string
	partitions    []int32
	num           int
	exitAtEnd     bool
	print         string
	format        string
	readCommitted bool
}

// NewCommand returns `strom consume`.
func NewCommand() *cobra.Command {
	o := &options{}
	cmd := &cobra.Command{
		Use:   "consume TOPIC",
		Short: "Read records from a topic, from any offset or time",
		Long: `Read records from a topic's partitions (all, or those given with -p),
starting at --offset: start, end, an offset N, -N (the last N records of
each partition), +N (skip N from the start) or @TIME (ms since the epoch or
RFC 3339). Records are printed with --print (kcat's tokens: %t topic,
%p partition, %o offset, %k key, %v value, %T timestamp ms, %d timestamp,
%h headers) or, with --format json, as one JSON object per line.
It runs until Ctrl-C, -n records, or with -e the end of every partition.`,
		Example: `  strom consume orders -e
  strom consume orders -o -10 -e -f '%p@%o %k=%v\n'
  strom consume orders -p 0,1 -o @2026-11-22T08:00:00Z -n 100
  strom consume orders --format json -e | jq .value`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return o.run(ctx, cmd, args[0])
		},
	}
	o.cfg.Register(cmd.Flags())
	f := cmd.Flags()
	f.StringVarP(&o.offset, "offset", "o", "start", "start, end, N, -N, +N or @TIME")
	f.Int32SliceVarP(&o.partitions, "partitions", "p", nil, "partitions to read (default all)")
	f.IntVarP(&o.num, "num", "n", 0, "stop after this many records (0: no limit)")
	f.BoolVarP(&o.exitAtEnd, "exit-at-end", "e", false, "stop at the end of every partition")
	f.StringVarP(&o.print, "print", "f", "%v\\n", "format string for each record")
	f.StringVar(&o.format, "format", "text", "text (use --print) or json (one object per line)")
	f.BoolVar(&o.readCommitted, "read-committed", false, "read only committed transactional data")
	return cmd
}

func (o *options) run(ctx context.Context, cmd *cobra.Command, topic string) error {
	if o.format != "text" && o.format != "json" {
		return fmt.Errorf("--format %q: want text or json", o.format)
	}
	if _, err := parseOffset(o.offset); err != nil {
		return err
	}
	admCl, adm, err := o.cfg.Admin()
	if err != nil {
		return err
	}
	defer admCl.Close()
	actx, cancel := o.cfg.Context(ctx)
	starts, ends, err := o.resolve(actx, adm, topic)
	cancel()
	if err != nil {
		return o.cfg.Explain(err)
	}
	remaining := map[int32]bool{}
	assign := map[int32]kgo.Offset{}
	for p, off := range starts {
		assign[p] = kgo.NewOffset().At(off)
		if off < ends[p] {
			remaining[p] = true
		}
	}
	if o.exitAtEnd && len(remaining) == 0 {
		return nil
	}
	opts := []kgo.Opt{kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: assign})}
	if o.readCommitted {
		opts = append(opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	}
	cl, err := o.cfg.Client(opts...)
	if err != nil {
		return err
	}
	defer cl.Close()
	pr := &printer{w: cmd.OutOrStdout(), format: unescape(o.print), json: o.format == "json"}
	count := 0
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil // Ctrl-C: a normal way to stop
		}
		var ferr error
		fs.EachError(func(t string, p int32, err error) {
			if ferr == nil && !errors.Is(err, context.Canceled) {
				ferr = fmt.Errorf("partition %d: %w", p, err)
			}
		})
		if ferr != nil {
			return o.cfg.Explain(ferr)
		}
		for it := fs.RecordIter(); !it.Done(); {
			r := it.Next()
			if err := pr.print(r); err != nil {
				return err
			}
			count++
			if r.Offset+1 >= ends[r.Partition] {
				delete(remaining, r.Partition)
			}
			if o.num > 0 && count >= o.num {
				return nil
			}
		}
		if o.exitAtEnd && len(remaining) == 0 {
			return nil
		}
	}
}

// resolve turns --offset into an exact starting offset per partition, and
// lists each partition's end (high watermark) for -e.
func (o *options) resolve(ctx context.Context, adm *kadm.Client, topic string) (starts, ends map[int32]int64, err error) {
	td, err := adm.ListTopics(ctx, topic)
	if err != nil {
		return nil, nil, err
	}
	if e := td[topic].Err; e != nil {
		return nil, nil, fmt.Errorf("topic %s: %w", topic, e)
	}
	parts := o.partitions
	if len(parts) == 0 {
		parts = td[topic].Partitions.Numbers()
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
	lo, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return nil, nil, err
	}
	hi, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, nil, err
	}
	var byTime kadm.ListedOffsets
	if strings.HasPrefix(o.offset, "@") {
		ms, _ := parseMillis(o.offset)
		if byTime, err = adm.ListOffsetsAfterMilli(ctx, ms, topic); err != nil {
			return nil, nil, err
		}
	}
	starts, ends = map[int32]int64{}, map[int32]int64{}
	for _, p := range parts {
		l, ok1 := lo.Lookup(topic, p)
		h, ok2 := hi.Lookup(topic, p)
		if !ok1 || !ok2 || l.Err != nil || h.Err != nil {
			return nil, nil, fmt.Errorf("topic %s has no partition %d", topic, p)
		}
		ends[p] = h.Offset
		starts[p], err = o.startFor(l.Offset, h.Offset, byTime, topic, p)
		if err != nil {
			return nil, nil, err
		}
	}
	return starts, ends, nil
}

func (o *options) startFor(lo, hi int64, byTime kadm.ListedOffsets, topic string, p int32) (int64, error) {
	var n int64
	switch s := o.offset; {
	case s == "start" || s == "beginning" || s == "oldest":
		return lo, nil
	case s == "end" || s == "newest":
		return hi, nil
	case strings.HasPrefix(s, "@"):
		if t, ok := byTime.Lookup(topic, p); ok && t.Err == nil && t.Offset >= 0 {
			return t.Offset, nil
		}
		return hi, nil
	case strings.HasPrefix(s, "-"):
		fmt.Sscan(s[1:], &n)
		return max(hi-n, lo), nil
	case strings.HasPrefix(s, "+"):
		fmt.Sscan(s[1:], &n)
		return min(lo+n, hi), nil
	}
	fmt.Sscan(o.offset, &n)
	if n < lo || n > hi {
		return 0, fmt.Errorf("partition %d: offset %d is outside [%d, %d]", p, n, lo, hi)
	}
	return n, nil
}

// unescape turns the two-character sequences a shell passes through ("\n")
// into what the user meant.
func unescape(s string) string {
	return strings.NewReplacer(`\n`, "\n", `\t`, "\t").Replace(s)
}
