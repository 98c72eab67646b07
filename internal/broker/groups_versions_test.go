package broker

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestGroupOldestVersions walks a group through the oldest versions
// librdkafka ≤ 2.11 needs for its balanced consumer (FindCoordinator 0,
// JoinGroup/SyncGroup/Heartbeat/LeaveGroup 0, OffsetCommit 1, OffsetFetch 1),
// sent raw at exactly those versions.
func TestGroupOldestVersions(t *testing.T) {
	b, addr := startBroker(t, t.TempDir(), groupOverrides...)
	defer b.Close()
	createTopic(t, addr, "old", 1)

	fc := kmsg.NewPtrFindCoordinatorRequest()
	fc.SetVersion(0)
	fc.CoordinatorKey = "old-g"
	fr := rawRequest(t, addr, fc).(*kmsg.FindCoordinatorResponse)
	if fr.ErrorCode != 0 || fr.NodeID != 1 || fr.Port <= 0 {
		t.Fatalf("FindCoordinator v0: %+v", fr)
	}

	join := kmsg.NewPtrJoinGroupRequest()
	join.SetVersion(0)
	join.Group, join.SessionTimeoutMillis, join.ProtocolType = "old-g", 10000, "consumer"
	join.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: (&kmsg.ConsumerMemberMetadata{Topics: []string{"old"}}).AppendTo(nil)}}
	var jr *kmsg.JoinGroupResponse
	waitFor(t, 10*time.Second, "the offsets partition to load", func() bool {
		jr = rawRequest(t, addr, join).(*kmsg.JoinGroupResponse)
		return jr.ErrorCode != kerr.CoordinatorLoadInProgress.Code
	})
	// v0 joins without a member-id round trip; the v0 rebalance timeout is
	// the session timeout.
	if jr.ErrorCode != 0 || jr.Generation != 1 || jr.LeaderID != jr.MemberID || len(jr.Members) != 1 || *jr.Protocol != "range" {
		t.Fatalf("JoinGroup v0: %+v", jr)
	}
	sync := kmsg.NewPtrSyncGroupRequest()
	sync.SetVersion(0)
	sync.Group, sync.Generation, sync.MemberID = "old-g", jr.Generation, jr.MemberID
	sync.GroupAssignment = []kmsg.SyncGroupRequestGroupAssignment{{MemberID: jr.MemberID, MemberAssignment: []byte("mine")}}
	if sr := rawRequest(t, addr, sync).(*kmsg.SyncGroupResponse); sr.ErrorCode != 0 || string(sr.MemberAssignment) != "mine" {
		t.Fatalf("SyncGroup v0: %+v", sr)
	}
	hb := kmsg.NewPtrHeartbeatRequest()
	hb.SetVersion(0)
	hb.Group, hb.Generation, hb.MemberID = "old-g", jr.Generation, jr.MemberID
	if r := rawRequest(t, addr, hb).(*kmsg.HeartbeatResponse); r.ErrorCode != 0 {
		t.Fatalf("Heartbeat v0: %+v", r)
	}
	hb.Generation++
	if r := rawRequest(t, addr, hb).(*kmsg.HeartbeatResponse); r.ErrorCode != kerr.IllegalGeneration.Code {
		t.Fatalf("Heartbeat v0 with a wrong generation: %+v", r)
	}

	oc := kmsg.NewPtrOffsetCommitRequest()
	oc.SetVersion(1)
	oc.Group, oc.Generation, oc.MemberID = "old-g", jr.Generation, jr.MemberID
	p := kmsg.NewOffsetCommitRequestTopicPartition()
	p.Partition, p.Offset, p.Timestamp = 0, 12, 1234
	oc.Topics = []kmsg.OffsetCommitRequestTopic{{Topic: "old", Partitions: []kmsg.OffsetCommitRequestTopicPartition{p}}}
	if r := rawRequest(t, addr, oc).(*kmsg.OffsetCommitResponse); r.Topics[0].Partitions[0].ErrorCode != 0 {
		t.Fatalf("OffsetCommit v1: %+v", r)
	}
	of := kmsg.NewPtrOffsetFetchRequest()
	of.SetVersion(1)
	of.Group = "old-g"
	of.Topics = []kmsg.OffsetFetchRequestTopic{{Topic: "old", Partitions: []int32{0, 5}}}
	r := rawRequest(t, addr, of).(*kmsg.OffsetFetchResponse)
	if ps := r.Topics[0].Partitions; ps[0].Offset != 12 || ps[1].Offset != -1 || ps[1].ErrorCode != 0 {
		t.Fatalf("OffsetFetch v1: %+v", r.Topics)
	}

	leave := kmsg.NewPtrLeaveGroupRequest()
	leave.SetVersion(0)
	leave.Group, leave.MemberID = "old-g", jr.MemberID
	if r := rawRequest(t, addr, leave).(*kmsg.LeaveGroupResponse); r.ErrorCode != 0 {
		t.Fatalf("LeaveGroup v0: %+v", r)
	}
	if r := rawRequest(t, addr, leave).(*kmsg.LeaveGroupResponse); r.ErrorCode != kerr.UnknownMemberID.Code {
		t.Fatalf("LeaveGroup v0 twice: %+v", r)
	}
}

func TestFindCoordinatorBatchedAndTransactional(t *testing.T) {
	b, addr := startBroker(t, t.TempDir(), groupOverrides...)
	defer b.Close()
	fc := kmsg.NewPtrFindCoordinatorRequest()
	fc.SetVersion(4)
	fc.CoordinatorKeys = []string{"a", "b"}
	r := rawRequest(t, addr, fc).(*kmsg.FindCoordinatorResponse)
	if len(r.Coordinators) != 2 || r.Coordinators[1].Key != "b" || r.Coordinators[1].ErrorCode != 0 || r.Coordinators[1].NodeID != 1 {
		t.Fatalf("batched FindCoordinator: %+v", r)
	}
	fc.CoordinatorType = 1
	r = rawRequest(t, addr, fc).(*kmsg.FindCoordinatorResponse)
	if r.Coordinators[0].ErrorCode != 0 || r.Coordinators[0].NodeID != 1 {
		t.Fatalf("transaction coordinator: %+v", r.Coordinators[0])
	}
	// DescribeGroups before v6 reports a missing group as Dead, without error.
	dg := kmsg.NewPtrDescribeGroupsRequest()
	dg.SetVersion(5)
	dg.Groups = []string{"nobody"}
	var d *kmsg.DescribeGroupsResponse
	waitFor(t, 10*time.Second, "the offsets partition to load", func() bool {
		d = rawRequest(t, addr, dg).(*kmsg.DescribeGroupsResponse)
		return d.Groups[0].ErrorCode != kerr.CoordinatorLoadInProgress.Code
	})
	if d.Groups[0].ErrorCode != 0 || d.Groups[0].State != "Dead" {
		t.Fatalf("DescribeGroups v5 of a missing group: %+v", d.Groups[0])
	}
}
