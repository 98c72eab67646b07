package group

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/strom-project/strom/internal/cli/out"
)

type describedMember struct {
	MemberID   string  `json:"member_id"`
	InstanceID *string `json:"instance_id,omitempty"`
	ClientID   string  `json:"client_id"`
	Host       string  `json:"host"`
}

type describedOffset struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Committed int64  `json:"committed"` // -1: nothing committed
	End       int64  `json:"end"`
	Lag       int64  `json:"lag"`
	MemberID  string `json:"member_id,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
}

type describedGroup struct {
	Group       string            `json:"group"`
	State       string            `json:"state"`
	Protocol    string            `json:"protocol"`
	Coordinator int32             `json:"coordinator"`
	Members     []describedMember `json:"members"`
	Offsets     []describedOffset `json:"offsets"`
	TotalLag    int64             `json:"total_lag"`
}

func newDescribe(c *common) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "describe GROUP...",
		Short: "Show a group's members, assignments, committed offsets and lag",
		Long: `Show each group's state and members, and per partition the committed
offset, the partition's end (high watermark), the lag between them and the
member the partition is assigned to. A partition assigned but never
committed shows committed -1 and lag from the partition's start.`,
		Example: `  strom group describe orders-service
  strom group describe orders-service --format json | jq .total_lag`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var lags kadm.DescribedGroupLags
			if err := c.RunAdmin(cmd.Context(), func(ctx context.Context, adm *kadm.Client) (err error) {
				lags, err = adm.Lag(ctx, args...)
				return err
			}); err != nil {
				return err
			}
			var groups []describedGroup
			for _, name := range args {
				l, ok := lags[name]
				if !ok {
					return fmt.Errorf("group %s: not found", name)
				}
				if err := l.Error(); err != nil {
					return c.Explain(fmt.Errorf("group %s: %w", name, err))
				}
				groups = append(groups, describeGroup(l))
			}
			return c.format.Print(cmd.OutOrStdout(), groups, func(w io.Writer) error { return printGroups(w, groups) })
		},
	}
	return cmd
}

func describeGroup(l kadm.DescribedGroupLag) describedGroup {
	g := describedGroup{Group: l.Group, State: l.State, Protocol: l.Protocol, Coordinator: l.Coordinator.NodeID,
		Members: []describedMember{}, Offsets: []describedOffset{}}
	for _, m := range l.Members {
		g.Members = append(g.Members, describedMember{MemberID: m.MemberID, InstanceID: m.InstanceID, ClientID: m.ClientID, Host: m.ClientHost})
	}
	for _, ps := range l.Lag {
		for _, p := range ps {
			o := describedOffset{Topic: p.Topic, Partition: p.Partition, Committed: p.Commit.At, End: p.End.Offset, Lag: p.Lag}
			if p.Member != nil {
				o.MemberID, o.ClientID = p.Member.MemberID, p.Member.ClientID
			}
			g.Offsets = append(g.Offsets, o)
			g.TotalLag += max(p.Lag, 0)
		}
	}
	sort.Slice(g.Offsets, func(i, j int) bool {
		a, b := g.Offsets[i], g.Offsets[j]
		return a.Topic < b.Topic || (a.Topic == b.Topic && a.Partition < b.Partition)
	})
	return g
}

func printGroups(w io.Writer, groups []describedGroup) error {
	for i, g := range groups {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "GROUP %s  STATE %s  PROTOCOL %s  COORDINATOR %d  MEMBERS %d  TOTAL-LAG %d\n",
			g.Group, g.State, g.Protocol, g.Coordinator, len(g.Members), g.TotalLag)
		var rows [][]string
		for _, o := range g.Offsets {
			committed := fmt.Sprint(o.Committed)
			if o.Committed < 0 {
				committed = "-"
			}
			rows = append(rows, []string{o.Topic, fmt.Sprint(o.Partition), committed, fmt.Sprint(o.End), fmt.Sprint(o.Lag), o.MemberID, o.ClientID})
		}
		if err := out.Table(w, []string{"topic", "partition", "committed", "end", "lag", "member-id", "client-id"}, rows); err != nil {
			return err
		}
	}
	return nil
}
