package api_test

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func offsetCommitReq(group string, topics ...string) *kmsg.OffsetCommitRequest {
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Group, req.Generation = group, -1
	for _, n := range topics {
		rt := kmsg.NewOffsetCommitRequestTopic()
		rt.Topic = n
		rp := kmsg.NewOffsetCommitRequestTopicPartition()
		rp.Offset, rp.LeaderEpoch = 0, -1
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
	}
	return req
}

func offsetFetchReq(group string, topics ...string) *kmsg.OffsetFetchRequest {
	req := kmsg.NewPtrOffsetFetchRequest()
	req.SetVersion(7)
	req.Group = group
	for _, n := range topics {
		rt := kmsg.NewOffsetFetchRequestTopic()
		rt.Topic, rt.Partitions = n, []int32{0}
		req.Topics = append(req.Topics, rt)
	}
	return req
}

func groupRows() []authzRow {
	return []authzRow{
		{name: "OffsetCommit/READ group", grants: []grant{topicG(opRead, tOK)}, run: func(t *testing.T, e *authzEnv) {
			resp := e.do(t, offsetCommitReq(grp, tOK)).(*kmsg.OffsetCommitResponse)
			wantCode(t, "commit", resp.Topics[0].Partitions[0].ErrorCode, errGroup)
			if got := e.committed(t, grp, tOK); got != 1 {
				t.Errorf("denied commit changed the offset to %d", got)
			}
		}},
		{name: "OffsetCommit/READ topic", grants: []grant{groupG(opRead, "g-commit"), topicG(opRead, tOK)}, run: func(t *testing.T, e *authzEnv) {
			resp := e.do(t, offsetCommitReq("g-commit", tOK, tNo)).(*kmsg.OffsetCommitResponse)
			wantCode(t, tOK, resp.Topics[0].Partitions[0].ErrorCode, 0)
			wantCode(t, tNo, resp.Topics[1].Partitions[0].ErrorCode, errTopic)
			if got := e.committed(t, "g-commit", tNo); got != -1 {
				t.Errorf("denied topic committed at %d", got)
			}
		}},
		{name: "OffsetFetch/DESCRIBE group", grants: []grant{topicG(opDescribe, tOK)}, run: func(t *testing.T, e *authzEnv) {
			resp := e.do(t, offsetFetchReq(grp, tOK)).(*kmsg.OffsetFetchResponse)
			wantCode(t, "offset fetch", resp.ErrorCode, errGroup)
			if len(resp.Topics) != 0 {
				t.Errorf("denied group disclosed %d topics", len(resp.Topics))
			}
		}},
		{name: "OffsetFetch/DESCRIBE topic", grants: []grant{groupG(opDescribe, grp), topicG(opDescribe, tOK)}, run: func(t *testing.T, e *authzEnv) {
			resp := e.do(t, offsetFetchReq(grp, tOK, tNo)).(*kmsg.OffsetFetchResponse)
			got := map[string]kmsg.OffsetFetchResponseTopicPartition{}
			for _, rt := range resp.Topics {
				got[rt.Topic] = rt.Partitions[0]
			}
			wantCode(t, tOK, got[tOK].ErrorCode, 0)
			wantCode(t, tNo, got[tNo].ErrorCode, errTopic)
			if got[tOK].Offset != 1 || got[tNo].Offset != -1 {
				t.Errorf("offsets %d and %d, want 1 and -1 (undisclosed)", got[tOK].Offset, got[tNo].Offset)
			}
			all := e.do(t, offsetFetchReq(grp)).(*kmsg.OffsetFetchResponse) // no topics: every partition
			if len(all.Topics) != 1 || all.Topics[0].Topic != tOK {
				t.Errorf("all partitions: %+v, want only %s", all.Topics, tOK)
			}
		}},
		{name: "FindCoordinator/DESCRIBE group or transactional id", run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrFindCoordinatorRequest()
			req.CoordinatorKeys = []string{grp}
			resp := e.do(t, req).(*kmsg.FindCoordinatorResponse)
			wantCode(t, "group", resp.Coordinators[0].ErrorCode, errGroup)
			req.CoordinatorType = 1
			resp = e.do(t, req).(*kmsg.FindCoordinatorResponse)
			wantCode(t, "transaction", resp.Coordinators[0].ErrorCode, errTxnID)
		}},
		{name: "JoinGroup/READ group", run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrJoinGroupRequest()
			req.Group, req.ProtocolType, req.SessionTimeoutMillis, req.RebalanceTimeoutMillis = grp, "consumer", 10000, 10000
			req.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: []byte{0, 0}}}
			wantCode(t, "join", e.do(t, req).(*kmsg.JoinGroupResponse).ErrorCode, errGroup)
		}},
		{name: "SyncGroup/READ group", run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrSyncGroupRequest()
			req.Group, req.MemberID = grp, "m"
			wantCode(t, "sync", e.do(t, req).(*kmsg.SyncGroupResponse).ErrorCode, errGroup)
		}},
		{name: "Heartbeat/READ group", run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrHeartbeatRequest()
			req.Group, req.MemberID = grp, "m"
			wantCode(t, "heartbeat", e.do(t, req).(*kmsg.HeartbeatResponse).ErrorCode, errGroup)
		}},
		{name: "LeaveGroup/READ group", run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrLeaveGroupRequest()
			req.Group = grp
			req.Members = []kmsg.LeaveGroupRequestMember{{MemberID: "m"}}
			wantCode(t, "leave", e.do(t, req).(*kmsg.LeaveGroupResponse).ErrorCode, errGroup)
		}},
		{name: "DescribeGroups/DESCRIBE group", grants: []grant{groupG(opDescribe, grp)}, run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrDescribeGroupsRequest()
			req.Groups, req.IncludeAuthorizedOperations = []string{grp, "g-commit"}, true
			resp := e.do(t, req).(*kmsg.DescribeGroupsResponse)
			wantCode(t, grp, resp.Groups[0].ErrorCode, 0)
			if want := int32(1 << opDescribe); resp.Groups[0].AuthorizedOperations != want {
				t.Errorf("authorized operations %b, want %b", resp.Groups[0].AuthorizedOperations, want)
			}
			wantCode(t, "g-commit", resp.Groups[1].ErrorCode, errGroup)
		}},
		{name: "ListGroups/filtered by DESCRIBE group", grants: []grant{groupG(opDescribe, grp)}, run: func(t *testing.T, e *authzEnv) {
			resp := e.do(t, kmsg.NewPtrListGroupsRequest()).(*kmsg.ListGroupsResponse)
			if len(resp.Groups) != 1 || resp.Groups[0].Group != grp {
				t.Errorf("listed %+v, want only %s", resp.Groups, grp)
			}
		}},
		{name: "ListGroups/DESCRIBE cluster lists all", grants: []grant{clusterG(opDescribe)}, run: func(t *testing.T, e *authzEnv) {
			resp := e.do(t, kmsg.NewPtrListGroupsRequest()).(*kmsg.ListGroupsResponse)
			if len(resp.Groups) < 2 {
				t.Errorf("listed %+v, want every group", resp.Groups)
			}
		}},
		{name: "DeleteGroups/DELETE group", grants: []grant{groupG(opDescribe, grp)}, run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrDeleteGroupsRequest()
			req.Groups = []string{grp}
			wantCode(t, "delete group", e.do(t, req).(*kmsg.DeleteGroupsResponse).Groups[0].ErrorCode, errGroup)
			if got := e.committed(t, grp, tOK); got != 1 {
				t.Errorf("denied DeleteGroups: offset now %d", got)
			}
		}},
		{name: "OffsetDelete/DELETE group and READ topic", grants: []grant{groupG(opDelete, grp), topicG(opRead, tOK)}, run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrOffsetDeleteRequest()
			req.Group = grp
			rt := kmsg.NewOffsetDeleteRequestTopic()
			rt.Topic, rt.Partitions = tNo, []kmsg.OffsetDeleteRequestTopicPartition{{Partition: 0}}
			req.Topics = append(req.Topics, rt)
			resp := e.do(t, req).(*kmsg.OffsetDeleteResponse)
			wantCode(t, "offset delete", resp.Topics[0].Partitions[0].ErrorCode, errTopic)
			req.Group = "g-commit"
			wantCode(t, "other group", e.do(t, req).(*kmsg.OffsetDeleteResponse).ErrorCode, errGroup)
			if got := e.committed(t, grp, tNo); got != 1 {
				t.Errorf("denied OffsetDelete: offset now %d", got)
			}
		}},
	}
}
