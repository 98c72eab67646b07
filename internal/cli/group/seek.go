package group

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/strom-project/strom/internal/cli/out"
)

// newSeek is rpk's `group seek`: reset-offsets that applies at once, with
// one --to for start, end, an offset or a time.
func newSeek(c *common) *cobra.Command {
	var to string
	var topics []string
	cmd := &cobra.Command{
		Use:   "seek GROUP --to start|end|OFFSET|TIME [--topic T[:P,...]]...",
		Short: "Move a group's committed offsets now (rpk group seek)",
		Long: `Commit new offsets for a group right away: to the start or end of each
partition, to an offset, or to the first offset at or after a time (RFC 3339
or Unix milliseconds). Without --topic it moves every topic the group has
committed offsets for. Like reset-offsets --execute, it refuses a group
with active members. Use reset-offsets for a dry run first.`,
		Example: `  strom group seek billing --to start
  strom group seek billing --to end --topic invoices
  strom group seek billing --to 2026-11-22T08:00:00Z --topic invoices:0,1
  strom group seek billing --to 1700000000000`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := seekOptions(to, topics)
			if err != nil {
				return err
			}
			var plan []plannedReset
			if err := c.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) (err error) {
				if plan, err = o.plan(ctx, adm, args[0]); err != nil {
					return err
				}
				return commitPlan(ctx, adm, args[0], plan)
			}); err != nil {
				return err
			}
			return c.format.Print(cmd.OutOrStdout(), plan, func(w io.Writer) error {
				var rows [][]string
				for _, p := range plan {
					rows = append(rows, []string{p.Topic, fmt.Sprint(p.Partition), fmt.Sprint(p.New)})
				}
				return out.Table(w, []string{"topic", "partition", "committed"}, rows)
			})
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "start, end, an offset, or a time (RFC 3339 or Unix milliseconds)")
	cmd.Flags().StringArrayVar(&topics, "topic", nil, "topic, or topic:p1,p2 (repeatable; default: every topic with committed offsets)")
	return cmd
}

// seekOptions turns --to into the reset-offsets options it stands for.
func seekOptions(to string, topics []string) (*resetOpts, error) {
	o := &resetOpts{topics: topics, allTopics: len(topics) == 0, toOffset: -1, execute: true}
	switch {
	case to == "":
		return nil, fmt.Errorf("--to is required: start, end, an offset or a time")
	case to == "start":
		o.toEarliest = true
	case to == "end":
		o.toLatest = true
	default:
		if t, err := time.Parse(time.RFC3339, to); err == nil {
			o.toDatetime = t.Format(time.RFC3339Nano)
			break
		}
		n, err := strconv.ParseInt(to, 10, 64)
		switch {
		case err != nil || n < 0:
			return nil, fmt.Errorf("--to %q: want start, end, an offset, or a time (RFC 3339 or Unix milliseconds)", to)
		case n >= 1e12: // Unix milliseconds: after 2001, beyond any realistic offset
			o.toDatetime = time.UnixMilli(n).UTC().Format(time.RFC3339Nano)
		default:
			o.toOffset = n
		}
	}
	return o, nil
}
