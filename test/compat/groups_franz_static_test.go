package compat

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// franzStaticAndLag runs the static-membership and kadm lag scenarios.
func franzStaticAndLag(t *testing.T) {
	// Two static members (eager range balancer, so any rebalance revokes every
	// partition and shows as a loss) restart one at a time: the follower, then
	// the leader. Kafka (KIP-345, KIP-814) hands a rejoining static member its
	// old assignment without a rebalance, so the other keeps its partitions and
	// generation, and the restarted one resumes from its commit.
	scenario(t, clientFranz, groupStatic, func(t *testing.T) {
		needGroups(t)
		topic, group := topicName(t), groupName(t, "")
		createTopic(t, scenarioContext(t), topic, 4)
		static := func(id string) *member {
			return startMember(t, group, topic, kgo.Balancers(kgo.RangeBalancer()), kgo.InstanceID(id))
		}
		leader := static("leader")
		waitSplit(t, 4, leader)
		follower := static("follower")
		waitSplit(t, 4, leader, follower)
		readSplit(t, produceSpread(t, topic, 4, 5, "a"), leader, follower)

		restart := func(id string, m, other *member) *member {
			t.Helper()
			had, kept := m.partitions(), other.partitions()
			_, gen := other.cl.GroupMetadata()
			losses := other.losses()
			if err := m.cl.CommitUncommittedOffsets(scenarioContext(t)); err != nil {
				t.Fatalf("%s: CommitUncommittedOffsets: %v", id, err)
			}
			m.stop() // a static member does not send LeaveGroup
			again := static(id)
			waitFor(t, within(t, 20*time.Second), func() error {
				if got := again.partitions(); !slices.Equal(got, had) {
					return fmt.Errorf("restarted static member %q holds %v, want its old %v", id, got, had)
				}
				return nil
			})
			_, genAfter := other.cl.GroupMetadata()
			if other.losses() != losses || genAfter != gen || !slices.Equal(other.partitions(), kept) {
				t.Fatalf("restarting static member %q rebalanced the group: the other member had %v at generation %d, "+
					"now %v at generation %d after %d revocations", id, kept, gen, other.partitions(), genAfter, other.losses()-losses)
			}
			other.checkpoint()
			return again
		}
		follower = restart("follower", follower, leader)
		readSplit(t, produceSpread(t, topic, 4, 5, "b"), leader, follower)
		leader = restart("leader", leader, follower)
		readSplit(t, produceSpread(t, topic, 4, 5, "c"), leader, follower)
	})

	// A member reads 10 records per partition and commits 4 and 7: kadm's Lag
	// (DescribeGroups, OffsetFetch, ListOffsets) must report produced − committed,
	// with the member while it is in the group and without it once it left.
	scenario(t, clientFranz, groupLag, func(t *testing.T) {
		needGroups(t)
		topic, group := topicName(t), groupName(t, "")
		createTopic(t, scenarioContext(t), topic, 2)
		produced := produceSpread(t, topic, 2, 10, "l")
		m := startMember(t, group, topic, kgo.DisableAutoCommit())
		readSplit(t, produced, m)
		commit := map[int32]int64{0: 4, 1: 7}
		var commitErr error
		m.cl.CommitOffsetsSync(scenarioContext(t), map[string]map[int32]kgo.EpochOffset{
			topic: {0: {Epoch: -1, Offset: commit[0]}, 1: {Epoch: -1, Offset: commit[1]}},
		}, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
			commitErr = err
			for _, rt := range resp.Topics {
				for _, rp := range rt.Partitions {
					if commitErr == nil && rp.ErrorCode != 0 {
						commitErr = fmt.Errorf("%s/%d: error code %d", rt.Topic, rp.Partition, rp.ErrorCode)
					}
				}
			}
		})
		if commitErr != nil {
			t.Fatalf("OffsetCommit: %v", commitErr)
		}
		requireLag(t, group, topic, "Stable", ends(produced), commit)
		m.stop() // DisableAutoCommit: leaving commits nothing
		requireLag(t, group, topic, "Empty", ends(produced), commit)
	})
}

// requireLag waits until kadm reports group in state, then requires its lag
// on topic to be end − committed per partition, with a member assigned to each
// partition exactly when the group is Stable.
func requireLag(t *testing.T, group, topic, state string, end, committed map[int32]int64) {
	t.Helper()
	adm := kadm.NewClient(newKgo(t))
	var l kadm.DescribedGroupLag
	waitFor(t, within(t, 10*time.Second), func() error {
		lags, err := adm.Lag(scenarioContext(t), group)
		if err != nil {
			return err
		}
		l = lags[group]
		if err := l.Error(); err != nil {
			return err
		}
		if l.State != state {
			return fmt.Errorf("group %s is %q, want %q", group, l.State, state)
		}
		return nil
	})
	var total, wantTotal int64
	for p, e := range end {
		gl, ok := l.Lag.Lookup(topic, p)
		want := e - committed[p]
		wantTotal += want
		if !ok || gl.Err != nil || gl.Lag != want || gl.Commit.At != committed[p] || gl.End.Offset != e {
			t.Fatalf("%s lag on %s/%d = %+v (found %v), want lag %d = end %d − commit %d", state, topic, p, gl, ok, want, e, committed[p])
		}
		if gl.IsEmpty() == (state == "Stable") {
			t.Fatalf("%s group: partition %d has member %+v", state, p, gl.Member)
		}
		total += gl.Lag
	}
	if total != wantTotal || len(l.Lag[topic]) != len(end) {
		t.Fatalf("%s lag total %d over %d partitions, want %d over %d", state, total, len(l.Lag[topic]), wantTotal, len(end))
	}
}
