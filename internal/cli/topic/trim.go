package topic

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/strom-project/strom/internal/cli/kafka"
)

type trimOptions struct {
	offset     int64
	beforeTime string
	partitions []int32
	yes        bool
}

func newTrim(c *common) *cobra.Command {
	var o trimOptions
	cmd := &cobra.Command{
		Use:   "trim TOPIC (--offset N | --before-time T) [--partitions 0,1] [--yes]",
		Short: "Delete records before an offset or a time (DeleteRecords)",
		Long: `Moves each partition's log start offset forward: records before it can no
longer be read and their segments are removed by retention. --offset -1
means the high watermark (everything). Without --yes it only prints the plan.`,
		Example: `  strom topic trim orders --offset 1000 --partitions 0
  strom topic trim orders --before-time 2026-11-22T08:00:00Z --yes
  strom topic trim orders --offset -1 --yes            # empty every partition`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			set := cmd.Flags().Changed("offset")
			if set == (o.beforeTime != "") {
				return errors.New("give exactly one of --offset and --before-time")
			}
			return c.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				return runTrim(ctx, adm, cmd.OutOrStdout(), args[0], o)
			})
		},
	}
	f := cmd.Flags()
	f.Int64Var(&o.offset, "offset", 0, "delete records before this offset (-1: the high watermark)")
	f.StringVar(&o.beforeTime, "before-time", "", "delete records older than this RFC 3339 time")
	f.Int32SliceVar(&o.partitions, "partitions", nil, "only these partitions (default: all)")
	f.BoolVar(&o.yes, "yes", false, "delete (without it, print the plan only)")
	return cmd
}

// runTrim prints one line per partition: its log start offset before and
// after (or planned), or the error.
func runTrim(ctx context.Context, adm *kadm.Client, w io.Writer, topic string, o trimOptions) error {
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return err
	}
	if err := starts.Error(); err != nil {
		return fmt.Errorf("topic %s: %w", topic, err)
	}
	var at kadm.ListedOffsets
	if o.beforeTime != "" {
		t, err := time.Parse(time.RFC3339, o.beforeTime)
		if err != nil {
			return fmt.Errorf("--before-time %q: want an RFC 3339 time like 2026-11-22T08:00:00Z", o.beforeTime)
		}
		if at, err = adm.ListOffsetsAfterMilli(ctx, t.UnixMilli(), topic); err != nil {
			return err
		}
	}
	targets := kadm.Offsets{}
	var parts []int32
	for p := range starts[topic] {
		if len(o.partitions) == 0 || slices.Contains(o.partitions, p) {
			parts = append(parts, p)
		}
	}
	slices.Sort(parts)
	if len(parts) == 0 {
		return fmt.Errorf("topic %s has none of partitions %v", topic, o.partitions)
	}
	for _, p := range parts {
		off := o.offset
		if at != nil {
			// The first record at or after the time; none (-1) means
			// every record is older: trim to the high watermark.
			l, _ := at.Lookup(topic, p)
			off = l.Offset
		}
		targets.AddOffset(topic, p, off, -1)
	}
	if !o.yes {
		for _, p := range parts {
			s, _ := starts.Lookup(topic, p)
			t, _ := targets.Lookup(topic, p)
			fmt.Fprintf(w, "%s %d: log start offset %d, would move to %s\n", topic, p, s.Offset, offsetText(t.At))
		}
		fmt.Fprintln(w, "dry run: pass --yes to delete")
		return nil
	}
	res, err := adm.DeleteRecords(ctx, targets)
	if err != nil {
		return err
	}
	failed := 0
	for _, p := range parts {
		s, _ := starts.Lookup(topic, p)
		r, ok := res.Lookup(topic, p)
		switch {
		case !ok:
			failed++
			fmt.Fprintf(w, "%s %d: no answer\n", topic, p)
		case r.Err != nil:
			failed++
			fmt.Fprintf(w, "%s %d: %s\n", topic, p, kafka.ErrorText(r.Err, ""))
		default:
			fmt.Fprintf(w, "%s %d: log start offset %d → %d\n", topic, p, s.Offset, r.LowWatermark)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d partitions not trimmed", failed, len(parts))
	}
	return nil
}

func offsetText(off int64) string {
	if off == -1 {
		return "the high watermark"
	}
	return fmt.Sprint(off)
}
