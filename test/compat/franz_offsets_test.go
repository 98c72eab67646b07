package compat

import (
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// franzAdminOffsets runs the offset-listing scenarios against topic, which has two
// empty partitions. Partition 0 gets five records with CreateTimes a second apart.
func franzAdminOffsets(t *testing.T, topic string) {
	base := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	var leaderEpoch int32

	scenario(t, clientFranz, "list offsets", func(t *testing.T) {
		ctx := scenarioContext(t)
		cl := newKgo(t, kgo.RecordPartitioner(kgo.ManualPartitioner()))
		var recs []*kgo.Record
		for i := range 5 {
			recs = append(recs, &kgo.Record{Topic: topic, Partition: 0, Value: fmt.Appendf(nil, "t%d", i),
				Timestamp: base.Add(time.Duration(i) * time.Second)})
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			t.Fatalf("ProduceSync: %v", err)
		}
		adm := kadm.NewClient(cl)
		check := func(what string, l kadm.ListedOffsets, err error, want0, want1 int64) {
			t.Helper()
			if err == nil {
				err = l.Error()
			}
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			o0, _ := l.Lookup(topic, 0)
			o1, _ := l.Lookup(topic, 1)
			if o0.Offset != want0 || o1.Offset != want1 {
				t.Fatalf("%s = %d, %d; want %d, %d", what, o0.Offset, o1.Offset, want0, want1)
			}
		}
		l, err := adm.ListStartOffsets(ctx, topic)
		check("earliest", l, err, 0, 0)
		l, err = adm.ListEndOffsets(ctx, topic)
		check("latest", l, err, 5, 0)
		leaderEpoch = l[topic][0].LeaderEpoch
		// By timestamp: the first offset whose timestamp is >= the target.
		l, err = adm.ListOffsetsAfterMilli(ctx, base.Add(2500*time.Millisecond).UnixMilli(), topic)
		check("after t+2.5s", l, err, 3, 0)
		l, err = adm.ListOffsetsAfterMilli(ctx, base.Add(2*time.Second).UnixMilli(), topic)
		check("after t+2s", l, err, 2, 0)
	})

	scenario(t, clientFranz, "offset for leader epoch", func(t *testing.T) {
		if leaderEpoch < 0 {
			t.Fatalf("ListOffsets returned leader epoch %d; OffsetForLeaderEpoch needs one", leaderEpoch)
		}
		var req kadm.OffsetForLeaderEpochRequest
		req.Add(topic, 0, leaderEpoch)
		resp, err := kadm.NewClient(newKgo(t)).OffsetForLeaderEpoch(scenarioContext(t), req)
		if err != nil {
			t.Fatal(err)
		}
		got := resp[topic][0]
		if got.Err != nil || got.LeaderEpoch != leaderEpoch || got.EndOffset != 5 {
			t.Fatalf("OffsetForLeaderEpoch(epoch %d) = epoch %d end %d err %v; want epoch %d end 5",
				leaderEpoch, got.LeaderEpoch, got.EndOffset, got.Err, leaderEpoch)
		}
	})

	scenario(t, clientFranz, "describe cluster", func(t *testing.T) {
		req := kmsg.NewPtrDescribeClusterRequest()
		resp, err := req.RequestWith(scenarioContext(t), newKgo(t))
		if err != nil {
			t.Fatal(err)
		}
		if resp.ErrorCode != 0 || len(resp.Brokers) != 1 ||
			fmt.Sprintf("%s:%d", resp.Brokers[0].Host, resp.Brokers[0].Port) != brokerAddr || resp.ClusterID == "" {
			t.Fatalf("DescribeCluster = error %d, cluster %q, brokers %+v; want one broker at %s",
				resp.ErrorCode, resp.ClusterID, resp.Brokers, brokerAddr)
		}
	})
}
