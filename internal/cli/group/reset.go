package group

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/strom-project/strom/internal/cli/kafka"
	"github.com/strom-project/strom/internal/cli/out"
)

type resetOpts struct {
	topics     []string
	allTopics  bool
	toEarliest bool
	toLatest   bool
	toOffset   int64
	toDatetime string
	shiftBy    int64
	execute    bool
}

type plannedReset struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Current   int64  `json:"current"` // -1: nothing committed
	New       int64  `json:"new"`
}

func newResetOffsets(c *common) *cobra.Command {
	o := &resetOpts{}
	cmd := &cobra.Command{
		Use:   "reset-offsets GROUP (--topic T[:P,...]... | --all-topics) (--to-earliest | --to-latest | --to-offset N | --to-datetime T | --shift-by N) [--execute]",
		Short: "Move a group's committed offsets (dry run unless --execute)",
		Long: `Compute new committed offsets for a group and, with --execute, commit
them. Without --execute it only prints the plan, as
kafka-consumer-groups.sh --dry-run does. The group must have no active
members: a running consumer would overwrite the reset with its next commit,
so an active group is refused.`,
		Example: `  strom group reset-offsets billing --topic invoices --to-earliest
  strom group reset-offsets billing --topic invoices:0,1 --shift-by -100 --execute
  strom group reset-offsets billing --all-topics --to-datetime 2026-11-22T08:00:00Z --execute`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.validate(cmd); err != nil {
				return err
			}
			var plan []plannedReset
			if err := c.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) (err error) {
				if plan, err = o.plan(ctx, adm, args[0]); err != nil || !o.execute {
					return err
				}
				return commitPlan(ctx, adm, args[0], plan)
			}); err != nil {
				return err
			}
			return c.format.Print(cmd.OutOrStdout(), plan, func(w io.Writer) error {
				var rows [][]string
				for _, p := range plan {
					cur := fmt.Sprint(p.Current)
					if p.Current < 0 {
						cur = "-"
					}
					rows = append(rows, []string{p.Topic, fmt.Sprint(p.Partition), cur, fmt.Sprint(p.New)})
				}
				if err := out.Table(w, []string{"topic", "partition", "current", "new"}, rows); err != nil {
					return err
				}
				if !o.execute {
					fmt.Fprintln(w, "(dry run: nothing committed; add --execute to apply)")
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.topics, "topic", nil, "topic, or topic:p1,p2 for some partitions (repeatable)")
	f.BoolVar(&o.allTopics, "all-topics", false, "every topic the group has committed offsets for")
	f.BoolVar(&o.toEarliest, "to-earliest", false, "the partition's log start offset")
	f.BoolVar(&o.toLatest, "to-latest", false, "the partition's end (skip everything)")
	f.Int64Var(&o.toOffset, "to-offset", -1, "this offset (clamped to the partition's range)")
	f.StringVar(&o.toDatetime, "to-datetime", "", "the first offset at or after this RFC 3339 time")
	f.Int64Var(&o.shiftBy, "shift-by", 0, "move the committed offset by N (negative goes back)")
	f.BoolVar(&o.execute, "execute", false, "commit the new offsets (default: dry run)")
	return cmd
}

func (o *resetOpts) validate(cmd *cobra.Command) error {
	n := 0
	for _, f := range []string{"to-earliest", "to-latest", "to-offset", "to-datetime", "shift-by"} {
		if cmd.Flags().Changed(f) {
			n++
		}
	}
	if n != 1 {
		return errors.New("give exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by")
	}
	if (len(o.topics) > 0) == o.allTopics {
		return errors.New("give --topic (repeatable) or --all-topics")
	}
	if o.toDatetime != "" {
		if _, err := time.Parse(time.RFC3339, o.toDatetime); err != nil {
			return fmt.Errorf("--to-datetime %q: want an RFC 3339 time like 2026-11-22T08:00:00Z", o.toDatetime)
		}
	}
	return nil
}

// plan computes the new offset of every selected partition.
func (o *resetOpts) plan(ctx context.Context, adm *kadm.Client, group string) ([]plannedReset, error) {
	committed, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		return nil, err
	}
	sel, err := o.selection(ctx, adm, committed)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(sel))
	for t := range sel {
		names = append(names, t)
	}
	lo, err := adm.ListStartOffsets(ctx, names...)
	if err != nil {
		return nil, err
	}
	hi, err := adm.ListEndOffsets(ctx, names...)
	if err != nil {
		return nil, err
	}
	var byTime kadm.ListedOffsets
	if o.toDatetime != "" {
		t, _ := time.Parse(time.RFC3339, o.toDatetime)
		if byTime, err = adm.ListOffsetsAfterMilli(ctx, t.UnixMilli(), names...); err != nil {
			return nil, err
		}
	}
	var plan []plannedReset
	for t, parts := range sel {
		for _, p := range parts {
			l, ok1 := lo.Lookup(t, p)
			h, ok2 := hi.Lookup(t, p)
			if !ok1 || !ok2 || l.Err != nil || h.Err != nil {
				return nil, fmt.Errorf("topic %s has no partition %d", t, p)
			}
			cur := int64(-1)
			if c, ok := committed.Lookup(t, p); ok && c.Err == nil {
				cur = c.At
			}
			plan = append(plan, plannedReset{t, p, cur, o.target(cur, l.Offset, h.Offset, byTime, t, p)})
		}
	}
	sort.Slice(plan, func(i, j int) bool {
		return plan[i].Topic < plan[j].Topic || (plan[i].Topic == plan[j].Topic && plan[i].Partition < plan[j].Partition)
	})
	return plan, nil
}

func (o *resetOpts) target(cur, lo, hi int64, byTime kadm.ListedOffsets, t string, p int32) int64 {
	clamp := func(x int64) int64 { return min(max(x, lo), hi) }
	switch {
	case o.toEarliest:
		return lo
	case o.toLatest:
		return hi
	case o.toDatetime != "":
		if b, ok := byTime.Lookup(t, p); ok && b.Err == nil && b.Offset >= 0 {
			return b.Offset
		}
		return hi
	case o.shiftBy != 0:
		if cur < 0 {
			cur = lo
		}
		return clamp(cur + o.shiftBy)
	}
	return clamp(o.toOffset)
}

// selection maps each topic to the partitions to reset.
func (o *resetOpts) selection(ctx context.Context, adm *kadm.Client, committed kadm.OffsetResponses) (map[string][]int32, error) {
	sel := map[string][]int32{}
	if o.allTopics {
		committed.Each(func(r kadm.OffsetResponse) { sel[r.Topic] = append(sel[r.Topic], r.Partition) })
		if len(sel) == 0 {
			return nil, errors.New("the group has no committed offsets; name topics with --topic")
		}
		return sel, nil
	}
	return kafka.SelectPartitions(ctx, adm, o.topics)
}

// commitPlan commits the new offsets, refusing a group with live members:
// their next commit would silently undo the reset.
func commitPlan(ctx context.Context, adm *kadm.Client, group string, plan []plannedReset) error {
	dg, err := adm.DescribeGroups(ctx, group)
	if err != nil {
		return err
	}
	if d := dg[group]; d.Err == nil && d.State != "Empty" && d.State != "Dead" && d.State != "" {
		return fmt.Errorf("group %s is %s with %d members: stop its consumers before resetting offsets", group, d.State, len(d.Members))
	}
	offs := kadm.Offsets{}
	for _, p := range plan {
		offs.Add(kadm.Offset{Topic: p.Topic, Partition: p.Partition, At: p.New, LeaderEpoch: -1})
	}
	resp, err := adm.CommitOffsets(ctx, group, offs)
	if err != nil {
		return err
	}
	return resp.Error()
}
