package cluster

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/cli/kafka"
	"github.com/strom-project/strom/internal/cli/out"
)

// quorumCommand is `strom cluster quorum`, kafka-metadata-quorum.sh's
// describe --status and --replication in one table.
func quorumCommand(cfg *kafka.Config, format *out.Format) *cobra.Command {
	return &cobra.Command{
		Use:   "quorum",
		Short: "The metadata quorum: leader, epoch, high watermark and each voter's lag",
		Long: `Describe the metadata quorum (DescribeQuorum): the leader, its epoch, the
committed offset (high watermark) and how far each voter's log is behind it.
A voter that lags steadily is not receiving the metadata log.`,
		Example: "  strom cluster quorum\n  strom cluster quorum --format json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var q quorumInfo
			err := cfg.RunClient(cmd.Context(), func(ctx context.Context, cl *kgo.Client) error {
				var err error
				q, err = describeQuorum(ctx, cl)
				return err
			})
			if err != nil {
				return err
			}
			return format.Print(cmd.OutOrStdout(), q, func(w io.Writer) error { return q.print(w) })
		},
	}
}

type voterInfo struct {
	ID        int32 `json:"id"`
	LogEnd    int64 `json:"log_end_offset"`
	Lag       int64 `json:"lag"`
	IsLeader  bool  `json:"leader"`
	IsObserve bool  `json:"observer,omitempty"`
}

type quorumInfo struct {
	Leader        int32       `json:"leader"`
	Epoch         int32       `json:"epoch"`
	HighWatermark int64       `json:"high_watermark"`
	Voters        []voterInfo `json:"voters"`
}

func describeQuorum(ctx context.Context, cl *kgo.Client) (quorumInfo, error) {
	req := kmsg.NewPtrDescribeQuorumRequest()
	t := kmsg.NewDescribeQuorumRequestTopic()
	t.Topic = "__cluster_metadata"
	p := kmsg.NewDescribeQuorumRequestTopicPartition()
	t.Partitions = append(t.Partitions, p)
	req.Topics = append(req.Topics, t)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return quorumInfo{}, err
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return quorumInfo{}, err
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		return quorumInfo{}, fmt.Errorf("DescribeQuorum answered %d topics", len(resp.Topics))
	}
	rp := resp.Topics[0].Partitions[0]
	if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
		return quorumInfo{}, err
	}
	q := quorumInfo{Leader: rp.LeaderID, Epoch: rp.LeaderEpoch, HighWatermark: rp.HighWatermark, Voters: []voterInfo{}}
	add := func(rs []kmsg.DescribeQuorumResponseTopicPartitionReplicaState, observer bool) {
		for _, r := range rs {
			lag := max(rp.HighWatermark-r.LogEndOffset, 0)
			q.Voters = append(q.Voters, voterInfo{ID: r.ReplicaID, LogEnd: r.LogEndOffset, Lag: lag, IsLeader: r.ReplicaID == rp.LeaderID, IsObserve: observer})
		}
	}
	add(rp.CurrentVoters, false)
	add(rp.Observers, true)
	return q, nil
}

func (q quorumInfo) print(w io.Writer) error {
	fmt.Fprintf(w, "LEADER %d  EPOCH %d  HIGH WATERMARK %d\n\n", q.Leader, q.Epoch, q.HighWatermark)
	var rows [][]string
	for _, v := range q.Voters {
		role := "follower"
		switch {
		case v.IsLeader:
			role = "leader"
		case v.IsObserve:
			role = "observer"
		}
		rows = append(rows, []string{fmt.Sprint(v.ID), role, fmt.Sprint(v.LogEnd), fmt.Sprint(v.Lag)})
	}
	return out.Table(w, []string{"node", "role", "log end", "lag"}, rows)
}
