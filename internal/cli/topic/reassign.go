package topic

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/strom-project/strom/internal/cli/out"
)

// reassignPoll is how often --wait checks the moves' progress.
const reassignPoll = 500 * time.Millisecond

func newReassign(c *common) *cobra.Command {
	var specs, cancel []string
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "reassign TOPIC (--replicas P=B1,B2,...)... | --cancel P,...",
		Short: "Move partitions to other brokers while they serve (kafka-reassign-partitions.sh)",
		Long: `Give partitions new replica sets (AlterPartitionReassignments). The new
replicas copy the data while the partition keeps serving; once they are in
sync they join the ISR, leadership moves to the first replica if needed and
the replicas that are not in the new set are removed. --cancel stops
moves in progress. With --wait the command shows progress until every named
partition has finished moving (or the wait runs out).`,
		Example: `  strom topic reassign orders --replicas 0=2,3,4 --replicas 1=3,4,5 --wait 10m
  strom topic reassign orders --cancel 0,1
  strom topic reassignments orders`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req, parts, err := reassignRequest(args[0], specs, cancel)
			if err != nil {
				return err
			}
			var rows []out.Status
			if err := c.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				resp, err := adm.AlterPartitionAssignments(ctx, req)
				if err != nil {
					return err
				}
				for _, r := range resp.Sorted() {
					row := out.Status{Name: fmt.Sprintf("%s-%d", r.Topic, r.Partition)}
					if r.Err != nil {
						row.Error = r.Err.Error()
						if r.ErrMessage != "" {
							row.Error += ": " + r.ErrMessage
						}
					}
					rows = append(rows, row)
				}
				return nil
			}); err != nil {
				return err
			}
			verb := "moving"
			if len(cancel) > 0 {
				verb = "cancelled"
			}
			if err := c.format.PrintStatuses(cmd.OutOrStdout(), "partition", "not reassigned", verb, rows); err != nil || wait <= 0 {
				return err
			}
			return waitReassigned(cmd, c, args[0], parts, wait)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&specs, "replicas", nil, "PARTITION=BROKER,BROKER,... the partition's new replicas, preferred leader first (repeatable)")
	f.StringSliceVar(&cancel, "cancel", nil, "partitions whose move to stop")
	f.DurationVar(&wait, "wait", 0, "wait up to this long for the moves to finish, showing progress")
	return cmd
}

// reassignRequest builds the request from --replicas or --cancel.
func reassignRequest(topic string, specs, cancel []string) (kadm.AlterPartitionAssignmentsReq, []int32, error) {
	if (len(specs) > 0) == (len(cancel) > 0) {
		return nil, nil, errors.New("give --replicas (repeatable) or --cancel")
	}
	req := kadm.AlterPartitionAssignmentsReq{}
	var parts []int32
	for _, c := range cancel {
		p, err := strconv.ParseInt(strings.TrimSpace(c), 10, 32)
		if err != nil || p < 0 {
			return nil, nil, fmt.Errorf("--cancel %q: want partition numbers", c)
		}
		req.CancelAssign(topic, int32(p))
		parts = append(parts, int32(p))
	}
	for _, s := range specs {
		ps, bs, ok := strings.Cut(s, "=")
		p, err := strconv.ParseInt(strings.TrimSpace(ps), 10, 32)
		if !ok || err != nil || p < 0 || bs == "" {
			return nil, nil, fmt.Errorf("--replicas %q: want PARTITION=BROKER,BROKER,...", s)
		}
		var brokers []int32
		for _, b := range strings.Split(bs, ",") {
			id, err := strconv.ParseInt(strings.TrimSpace(b), 10, 32)
			if err != nil || id < 0 {
				return nil, nil, fmt.Errorf("--replicas %q: broker ids must be numbers", s)
			}
			brokers = append(brokers, int32(id))
		}
		req.Assign(topic, int32(p), brokers)
		parts = append(parts, int32(p))
	}
	return req, parts, nil
}

// waitReassigned polls ListPartitionReassignments until none of parts is
// moving, printing a progress line whenever it changes.
func waitReassigned(cmd *cobra.Command, c *common, topic string, parts []int32, wait time.Duration) error {
	began, last := time.Now(), ""
	ctx, cancel := context.WithTimeout(cmd.Context(), wait)
	defer cancel()
	cl, err := c.Client()
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	for {
		moving, err := movingPartitions(ctx, adm, topic, parts)
		if err != nil {
			return c.Explain(err)
		}
		if len(moving) == 0 {
			fmt.Fprintf(cmd.OutOrStdout(), "done in %v\n", time.Since(began).Round(100*time.Millisecond))
			return nil
		}
		if line := strings.Join(moving, "; "); line != last {
			fmt.Fprintf(cmd.ErrOrStderr(), "%v moving: %s\n", time.Since(began).Round(time.Second), line)
			last = line
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("still moving after %v (--wait): %s", wait, last)
		case <-time.After(reassignPoll):
		}
	}
}

// movingPartitions describes the moves in progress among parts.
func movingPartitions(ctx context.Context, adm *kadm.Client, topic string, parts []int32) ([]string, error) {
	set := kadm.TopicsSet{}
	set.Add(topic, parts...)
	resp, err := adm.ListPartitionReassignments(ctx, set)
	if err != nil {
		return nil, err
	}
	var moving []string
	for _, r := range resp.Sorted() {
		if slices.Contains(parts, r.Partition) {
			moving = append(moving, fmt.Sprintf("%d: replicas %v adding %v removing %v", r.Partition, r.Replicas, r.AddingReplicas, r.RemovingReplicas))
		}
	}
	return moving, nil
}

func newReassignments(c *common) *cobra.Command {
	return &cobra.Command{
		Use:     "reassignments [TOPIC...]",
		Short:   "Partition moves in progress (ListPartitionReassignments)",
		Example: "  strom topic reassignments\n  strom topic reassignments orders --format json",
		RunE: func(cmd *cobra.Command, args []string) error {
			var moves []kadm.ListPartitionReassignmentsResponse
			if err := c.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) error {
				var set kadm.TopicsSet
				if len(args) > 0 {
					sel, err := adm.ListTopics(ctx, args...)
					if err != nil {
						return err
					}
					set = sel.TopicsSet()
				}
				resp, err := adm.ListPartitionReassignments(ctx, set)
				moves = resp.Sorted()
				return err
			}); err != nil {
				return err
			}
			if moves == nil {
				moves = []kadm.ListPartitionReassignmentsResponse{}
			}
			return c.format.Print(cmd.OutOrStdout(), moves, func(w io.Writer) error {
				rows := [][]string{}
				for _, m := range moves {
					rows = append(rows, []string{m.Topic, fmt.Sprint(m.Partition), fmt.Sprint(m.Replicas), fmt.Sprint(m.AddingReplicas), fmt.Sprint(m.RemovingReplicas)})
				}
				return out.Table(w, []string{"topic", "partition", "replicas", "adding", "removing"}, rows)
			})
		},
	}
}
