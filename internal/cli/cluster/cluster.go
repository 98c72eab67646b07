// Package cluster is `strom cluster`: what the cluster is made of and
// whether it is healthy.
package cluster

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strom-project/strom/internal/cli/kafka"
	"github.com/strom-project/strom/internal/cli/out"
)

// NewCommand returns `strom cluster` and its subcommands.
func NewCommand() *cobra.Command {
	var (
		cfg    kafka.Config
		format out.Format
	)
	cmd := &cobra.Command{Use: "cluster", Short: "Show the cluster's brokers, controller and health", Args: cobra.NoArgs}
	cfg.Register(cmd.PersistentFlags())
	format.Register(cmd.PersistentFlags())
	cmd.AddCommand(&cobra.Command{
		Use:     "info",
		Short:   "Cluster id, controller and brokers",
		Example: "  strom cluster info\n  strom cluster info --format json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info, err := fetch(cmd.Context(), &cfg)
			if err != nil {
				return err
			}
			return format.Print(cmd.OutOrStdout(), info, func(w io.Writer) error { return info.print(w) })
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "health",
		Short: "Healthy or not, with the reasons; non-zero exit when unhealthy",
		Long: `Check that the cluster has an active controller and brokers, and no offline
or under-replicated partitions. Prints "healthy" or the problems, and exits
non-zero when there are any, for scripts and probes.`,
		Example: "  strom cluster health && echo ok",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info, err := fetch(cmd.Context(), &cfg)
			if err != nil {
				return err
			}
			problems := info.problems()
			report := struct {
				Healthy  bool     `json:"healthy"`
				Problems []string `json:"problems"`
			}{len(problems) == 0, problems}
			err = format.Print(cmd.OutOrStdout(), report, func(w io.Writer) error {
				if report.Healthy {
					_, err := fmt.Fprintln(w, "healthy")
					return err
				}
				for _, p := range problems {
					fmt.Fprintln(w, "unhealthy:", p)
				}
				return nil
			})
			if err == nil && !report.Healthy {
				err = fmt.Errorf("cluster unhealthy: %d problem(s)", len(problems))
			}
			return err
		},
	})
	cmd.AddCommand(quorumCommand(&cfg, &format), configCommand(&cfg, &format), unregisterCommand(&cfg, &format), electCommand(&cfg, &format))
	return cmd
}

// problems lists what makes the cluster unhealthy; empty means healthy.
func (i clusterInfo) problems() []string {
	p := []string{}
	if i.Controller < 0 {
		p = append(p, "no active controller")
	}
	if len(i.Brokers) == 0 {
		p = append(p, "no live brokers")
	}
	if i.Offline > 0 {
		p = append(p, fmt.Sprintf("%d offline partition(s)", i.Offline))
	}
	if i.UnderReplica > 0 {
		p = append(p, fmt.Sprintf("%d under-replicated partition(s)", i.UnderReplica))
	}
	return p
}

// fetch reads the cluster's metadata into a clusterInfo.
func fetch(ctx context.Context, cfg *kafka.Config) (info clusterInfo, err error) {
	err = cfg.RunClient(ctx, func(ctx context.Context, cl *kgo.Client) error {
		if info, err = describe(ctx, kadm.NewClient(cl)); err != nil {
			return err
		}
		// Metadata names a broker that forwards admin requests, not the
		// active controller (it may be a dedicated controller clients
		// cannot reach); the metadata quorum's leader is the one.
		q, err := describeQuorum(ctx, cl)
		if err != nil {
			return err
		}
		info.Controller = q.Leader
		return nil
	})
	return info, err
}

type brokerInfo struct {
	ID   int32   `json:"id"`
	Host string  `json:"host"`
	Port int32   `json:"port"`
	Rack *string `json:"rack,omitempty"`
}

type clusterInfo struct {
	ClusterID    string       `json:"cluster_id"`
	Controller   int32        `json:"controller"`
	Brokers      []brokerInfo `json:"brokers"`
	Topics       int          `json:"topics"`
	Partitions   int          `json:"partitions"`
	Offline      int          `json:"offline_partitions"`
	UnderReplica int          `json:"under_replicated_partitions"`
}

func describe(ctx context.Context, adm *kadm.Client) (clusterInfo, error) {
	md, err := adm.Metadata(ctx)
	if err != nil {
		return clusterInfo{}, err
	}
	info := clusterInfo{ClusterID: md.Cluster, Controller: md.Controller, Brokers: []brokerInfo{}}
	for _, b := range md.Brokers {
		info.Brokers = append(info.Brokers, brokerInfo{b.NodeID, b.Host, b.Port, b.Rack})
	}
	sort.Slice(info.Brokers, func(i, j int) bool { return info.Brokers[i].ID < info.Brokers[j].ID })
	for _, t := range md.Topics {
		info.Topics++
		for _, p := range t.Partitions {
			info.Partitions++
			if p.Leader < 0 {
				info.Offline++
			}
			if len(p.ISR) < len(p.Replicas) {
				info.UnderReplica++
			}
		}
	}
	return info, nil
}

func (i clusterInfo) print(w io.Writer) error {
	fmt.Fprintf(w, "CLUSTER %s  CONTROLLER %d\n", i.ClusterID, i.Controller)
	fmt.Fprintf(w, "TOPICS %d  PARTITIONS %d  OFFLINE %d  UNDER-REPLICATED %d\n\n", i.Topics, i.Partitions, i.Offline, i.UnderReplica)
	var rows [][]string
	for _, b := range i.Brokers {
		rack := "-"
		if b.Rack != nil {
			rack = *b.Rack
		}
		rows = append(rows, []string{fmt.Sprint(b.ID), fmt.Sprintf("%s:%d", b.Host, b.Port), rack})
	}
	return out.Table(w, []string{"broker", "address", "rack"}, rows)
}
