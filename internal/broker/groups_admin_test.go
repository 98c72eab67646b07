package broker

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/coordinator/group"
)

// pollInBackground polls cl until the test ends: group members only join,
// heartbeat and rebalance while polled.
func pollInBackground(t *testing.T, cl *kgo.Client) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			cl.PollFetches(ctx)
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
}

func TestGroupStaticMemberRestartsWithoutRebalance(t *testing.T) {
	b, addr := startBroker(t, t.TempDir(), groupOverrides...)
	defer b.Close()
	createTopic(t, addr, "s", 4)
	var revoked atomic.Int32 // revocations seen by member a
	opts := func(instance string) []kgo.Opt {
		return []kgo.Opt{kgo.ConsumerGroup("static"), kgo.ConsumeTopics("s"), kgo.InstanceID(instance),
			kgo.HeartbeatInterval(100 * time.Millisecond)}
	}
	a := newClient(t, addr, append(opts("a"),
		kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			if len(m) > 0 {
				revoked.Add(1)
			}
		}))...)
	pollInBackground(t, a)
	adm := kadm.NewClient(newClient(t, addr))
	// a joins first and so leads. The restart below is of a follower: a
	// restarted static leader may rebalance on purpose (franz-go rejoins
	// when its own plan differs from the stored one, KIP-814).
	waitFor(t, 30*time.Second, "a alone with all partitions", func() bool {
		as := memberAssignments(t, adm, "static")
		return len(as) == 1 && as[0] == 4
	})
	bcl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr)}, opts("b")...)...)
	if err != nil {
		t.Fatal(err)
	}
	stopB := make(chan struct{})
	go func() {
		for {
			select {
			case <-stopB:
				return
			default:
				bcl.PollFetches(context.Background())
			}
		}
	}()
	waitFor(t, 30*time.Second, "two static members with two partitions each", func() bool {
		as := memberAssignments(t, adm, "static")
		return len(as) == 2 && as[0] == 2 && as[1] == 2
	})
	_, gen := a.GroupMetadata()
	close(stopB)
	bcl.Close() // a static member does not send LeaveGroup
	revoked.Store(0)

	b2 := newClient(t, addr, opts("b")...)
	pollInBackground(t, b2)
	waitFor(t, 20*time.Second, "the restarted instance to rejoin", func() bool {
		_, g := b2.GroupMetadata()
		return g == gen
	})
	if _, g := a.GroupMetadata(); g != gen || revoked.Load() != 0 {
		t.Fatalf("generation %d→%d, %d revocations: a static restart must not rebalance", gen, g, revoked.Load())
	}
	if as := memberAssignments(t, adm, "static"); len(as) != 2 || as[0] != 2 || as[1] != 2 {
		t.Fatalf("assignments after the restart: %v", as)
	}
}

func TestGroupSessionTimeoutRemovesSilentMember(t *testing.T) {
	b, addr := startBroker(t, t.TempDir(), append(groupOverrides, "group.min.session.timeout.ms=200")...)
	defer b.Close()
	cl := newClient(t, addr)
	ctx := context.Background()
	join := kmsg.NewPtrJoinGroupRequest()
	join.Group, join.ProtocolType, join.SessionTimeoutMillis, join.RebalanceTimeoutMillis = "silent", "consumer", 1000, 5000
	join.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: (&kmsg.ConsumerMemberMetadata{Topics: []string{"x"}}).AppendTo(nil)}}
	var jr *kmsg.JoinGroupResponse
	waitFor(t, 10*time.Second, "a member id", func() bool {
		r, err := join.RequestWith(ctx, cl)
		jr = r
		return err == nil && r.ErrorCode == kerr.MemberIDRequired.Code
	})
	join.MemberID = jr.MemberID
	jr, err := join.RequestWith(ctx, cl)
	if err != nil || jr.ErrorCode != 0 || jr.LeaderID != join.MemberID {
		t.Fatalf("join: %+v %v", jr, err)
	}
	sync := kmsg.NewPtrSyncGroupRequest()
	sync.Group, sync.MemberID, sync.Generation = "silent", join.MemberID, jr.Generation
	sync.GroupAssignment = []kmsg.SyncGroupRequestGroupAssignment{{MemberID: join.MemberID, MemberAssignment: []byte{0, 0}}}
	if sr, err := sync.RequestWith(ctx, cl); err != nil || sr.ErrorCode != 0 {
		t.Fatalf("sync: %+v %v", sr, err)
	}
	began := time.Now()
	adm := kadm.NewClient(cl)
	// The member never heartbeats: after its 1 s session it is removed.
	waitFor(t, 10*time.Second, "the silent member to be removed", func() bool {
		ds, err := adm.DescribeGroups(ctx, "silent")
		return err == nil && ds["silent"].State == "Empty"
	})
	if took := time.Since(began); took < 900*time.Millisecond {
		t.Fatalf("member removed after %v, before its 1 s session timeout", took)
	}
	hb := kmsg.NewPtrHeartbeatRequest()
	hb.Group, hb.MemberID, hb.Generation = "silent", join.MemberID, jr.Generation
	if r, err := hb.RequestWith(ctx, cl); err != nil || r.ErrorCode != kerr.UnknownMemberID.Code {
		t.Fatalf("heartbeat of the removed member: %+v %v", r, err)
	}
	// Session timeouts outside the broker's bounds are refused.
	join.MemberID, join.SessionTimeoutMillis = "", 100
	if r, err := join.RequestWith(ctx, cl); err != nil || r.ErrorCode != kerr.InvalidSessionTimeout.Code {
		t.Fatalf("join with a 100 ms session: %+v %v", r, err)
	}
}

func TestGroupAdminOperations(t *testing.T) {
	b, addr := startBroker(t, t.TempDir(), groupOverrides...)
	defer b.Close()
	createTopic(t, addr, "adm", 2)
	adm := kadm.NewClient(newClient(t, addr))
	ctx := context.Background()

	var offs kadm.Offsets
	offs.AddOffset("adm", 0, 5, -1)
	offs.AddOffset("adm", 1, 7, -1)
	offs.AddOffset("nope", 0, 1, -1)
	res, err := adm.CommitOffsets(ctx, "admin-g", offs)
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := res.Lookup("adm", 1); r.Err != nil {
		t.Fatalf("admin commit to an empty group: %v", r.Err)
	}
	if r, _ := res.Lookup("nope", 0); !errors.Is(r.Err, kerr.UnknownTopicOrPartition) {
		t.Fatalf("commit to an unknown topic: %v", r.Err)
	}
	fetched, err := adm.FetchOffsets(ctx, "admin-g")
	if o, _ := fetched.Lookup("adm", 1); err != nil || o.At != 7 || len(fetched["adm"]) != 2 {
		t.Fatalf("fetch: %+v %v", fetched, err)
	}
	listed, err := adm.ListGroups(ctx)
	if err != nil || listed["admin-g"].State != "Empty" {
		t.Fatalf("list: %+v %v", listed, err)
	}
	if ds, _ := adm.DescribeGroups(ctx, "missing"); !errors.Is(ds["missing"].Err, kerr.GroupIDNotFound) {
		t.Fatalf("describe a missing group: %+v", ds["missing"])
	}

	// A live consumer group: refused admin commits and deletion.
	live := newClient(t, addr, kgo.ConsumerGroup("live-g"), kgo.ConsumeTopics("adm"), kgo.HeartbeatInterval(100*time.Millisecond))
	pollInBackground(t, live)
	waitFor(t, 20*time.Second, "live-g stable", func() bool { return len(memberAssignments(t, adm, "live-g")) == 1 })
	if res, _ := adm.CommitOffsets(ctx, "live-g", offs); !errors.Is(res["adm"][0].Err, kerr.UnknownMemberID) {
		t.Fatalf("admin commit to a group with members: %+v", res["adm"][0])
	}
	if dr, _ := adm.DeleteGroups(ctx, "live-g"); !errors.Is(dr["live-g"].Err, kerr.NonEmptyGroup) {
		t.Fatalf("delete a group with members: %+v", dr["live-g"])
	}
	if dr, _ := adm.DeleteOffsets(ctx, "live-g", kadm.TopicsSet{"adm": {0: {}}}); !errors.Is(dr["adm"][0], kerr.GroupSubscribedToTopic) {
		t.Fatalf("delete offsets of a subscribed topic: %+v", dr)
	}
	if ls, err := adm.Lag(ctx, "live-g"); err != nil || ls["live-g"].State != "Stable" {
		t.Fatalf("kadm lag: %+v %v", ls, err)
	}

	// OffsetDelete and DeleteGroups on the empty group.
	if dr, err := adm.DeleteOffsets(ctx, "admin-g", kadm.TopicsSet{"adm": {0: {}}}); err != nil || dr["adm"][0] != nil {
		t.Fatalf("delete offsets: %+v %v", dr, err)
	}
	if f, _ := adm.FetchOffsets(ctx, "admin-g"); len(f["adm"]) != 1 {
		t.Fatalf("after offset delete: %+v", f)
	}
	if dr, err := adm.DeleteGroups(ctx, "admin-g"); err != nil || dr["admin-g"].Err != nil {
		t.Fatalf("delete group: %+v %v", dr, err)
	}
	if dr, _ := adm.DeleteGroups(ctx, "admin-g"); !errors.Is(dr["admin-g"].Err, kerr.GroupIDNotFound) {
		t.Fatalf("delete a deleted group: %+v", dr["admin-g"])
	}
}

func TestConsumerOffsetsTopicHoldsKafkaRecords(t *testing.T) {
	b, addr := startBroker(t, t.TempDir(), "group.initial.rebalance.delay.ms=0") // Kafka's 50 partitions
	defer b.Close()
	createTopic(t, addr, "f", 1)
	adm := kadm.NewClient(newClient(t, addr))
	ctx := context.Background()
	var offs kadm.Offsets
	offs.AddOffset("f", 0, 3, 9)
	if _, err := adm.CommitOffsets(ctx, "fmt-g", offs); err != nil {
		t.Fatal(err)
	}
	live := newClient(t, addr, kgo.ConsumerGroup("fmt-live"), kgo.ConsumeTopics("f"), kgo.HeartbeatInterval(100*time.Millisecond))
	pollInBackground(t, live)
	waitFor(t, 20*time.Second, "fmt-live stable", func() bool { return len(memberAssignments(t, adm, "fmt-live")) == 1 })

	td, err := adm.ListTopics(ctx, group.OffsetsTopic)
	if err != nil || len(td[group.OffsetsTopic].Partitions) != 50 || !td[group.OffsetsTopic].IsInternal ||
		td[group.OffsetsTopic].Partitions.NumReplicas() != 1 {
		t.Fatalf("%s: %+v %v (want 50 internal partitions, replication capped to 1)", group.OffsetsTopic, td[group.OffsetsTopic], err)
	}
	rc, _ := adm.DescribeTopicConfigs(ctx, group.OffsetsTopic)
	if c, _ := rc.On(group.OffsetsTopic, nil); !hasConfig(c, "cleanup.policy", "compact") || !hasConfig(c, "segment.bytes", "104857600") {
		t.Fatalf("topic configs: %+v", c.Configs)
	}

	reader := newClient(t, addr, kgo.ConsumeTopics(group.OffsetsTopic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	var sawOffset, sawGroup bool
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for !sawOffset || !sawGroup {
		fs := reader.PollFetches(pctx)
		if pctx.Err() != nil {
			t.Fatalf("offset record %v, group record %v", sawOffset, sawGroup)
		}
		fs.EachRecord(func(r *kgo.Record) {
			switch {
			case r.Key[1] == 1: // key version 1: an offset commit
				var k kmsg.OffsetCommitKey
				var v kmsg.OffsetCommitValue
				if k.ReadFrom(r.Key) != nil || v.ReadFrom(r.Value) != nil {
					t.Errorf("undecodable offset record at %d", r.Offset)
				}
				if k.Group == "fmt-g" {
					sawOffset = v.Version == 3 && v.Offset == 3 && v.LeaderEpoch == 9 && r.Partition == group.PartitionFor("fmt-g", 50)
				}
			case r.Key[1] == 2 && r.Value != nil: // key version 2: group metadata
				var k kmsg.GroupMetadataKey
				var v kmsg.GroupMetadataValue
				if k.ReadFrom(r.Key) != nil || v.ReadFrom(r.Value) != nil {
					t.Errorf("undecodable group record at %d", r.Offset)
				}
				if k.Group == "fmt-live" && len(v.Members) == 1 {
					sawGroup = v.Version == 3 && v.ProtocolType == "consumer" && r.Partition == group.PartitionFor("fmt-live", 50)
				}
			}
		})
	}
}

func hasConfig(c kadm.ResourceConfig, key, value string) bool {
	for _, kv := range c.Configs {
		if kv.Key == key {
			return kv.MaybeValue() == value
		}
	}
	return false
}
