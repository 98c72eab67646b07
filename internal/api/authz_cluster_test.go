package api_test

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// ctrl sends req as alice to the CONTROLLER listener.
func (e *authzEnv) doCtrl(t *testing.T, req kmsg.Request) kmsg.Response {
	t.Helper()
	return send(t, e.ctx, e.ctrl, req)
}

func clusterRows() []authzRow {
	return []authzRow{
		{name: "ElectLeaders/ALTER cluster", grants: []grant{clusterG(opDescribe)}, run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrElectLeadersRequest()
			req.Topics = []kmsg.ElectLeadersRequestTopic{{Topic: tOK, Partitions: []int32{0}}}
			resp := e.do(t, req).(*kmsg.ElectLeadersResponse)
			wantCode(t, "top level", resp.ErrorCode, errCluster)
			wantCode(t, "partition", resp.Topics[0].Partitions[0].ErrorCode, errCluster)
		}},
		{name: "AlterPartitionReassignments/ALTER cluster", run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrAlterPartitionAssignmentsRequest()
			req.Topics = []kmsg.AlterPartitionAssignmentsRequestTopic{{Topic: tOK,
				Partitions: []kmsg.AlterPartitionAssignmentsRequestTopicPartition{{Partition: 0, Replicas: []int32{1}}}}}
			resp := e.do(t, req).(*kmsg.AlterPartitionAssignmentsResponse)
			wantCode(t, "alter reassignments", resp.ErrorCode, errCluster)
		}},
		{name: "ListPartitionReassignments/DESCRIBE cluster", grants: []grant{clusterG(opAlter)}, run: func(t *testing.T, e *authzEnv) {
			resp := e.do(t, kmsg.NewPtrListPartitionReassignmentsRequest()).(*kmsg.ListPartitionReassignmentsResponse)
			wantCode(t, "list reassignments", resp.ErrorCode, errCluster)
		}},
		{name: "DescribeLogDirs/DESCRIBE cluster", run: func(t *testing.T, e *authzEnv) {
			resp := e.do(t, kmsg.NewPtrDescribeLogDirsRequest()).(*kmsg.DescribeLogDirsResponse)
			wantCode(t, "describe log dirs", resp.ErrorCode, errCluster)
			if len(resp.Dirs) != 0 {
				t.Errorf("denied: %d log dirs disclosed", len(resp.Dirs))
			}
		}},
		{name: "DescribeQuorum/DESCRIBE cluster", run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrDescribeQuorumRequest()
			req.Topics = []kmsg.DescribeQuorumRequestTopic{{Topic: "__cluster_metadata",
				Partitions: []kmsg.DescribeQuorumRequestTopicPartition{{Partition: 0}}}}
			wantCode(t, "describe quorum", e.do(t, req).(*kmsg.DescribeQuorumResponse).ErrorCode, errCluster)
		}},
		{name: "UnregisterBroker/ALTER cluster", run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrUnregisterBrokerRequest()
			req.BrokerID = 1
			wantCode(t, "unregister", e.do(t, req).(*kmsg.UnregisterBrokerResponse).ErrorCode, errCluster)
			brokers, err := e.adm.ListBrokers(e.ctx)
			if err != nil || len(brokers) != 1 {
				t.Errorf("after a denied unregister: %v, %d brokers", err, len(brokers))
			}
		}},
		{name: "DescribeCluster/no DESCRIBE: no operations", grants: []grant{clusterG(opAlter)}, run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrDescribeClusterRequest()
			req.IncludeClusterAuthorizedOperations = true
			resp := e.do(t, req).(*kmsg.DescribeClusterResponse)
			wantCode(t, "describe cluster", resp.ErrorCode, 0)
			if resp.ClusterAuthorizedOperations != 0 {
				t.Errorf("authorized operations %b, want none", resp.ClusterAuthorizedOperations)
			}
		}},
		{name: "DescribeCluster/authorized operations", grants: []grant{clusterG(opDescribe), clusterG(opCreate)}, run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrDescribeClusterRequest()
			req.IncludeClusterAuthorizedOperations = true
			resp := e.do(t, req).(*kmsg.DescribeClusterResponse)
			if want := int32(1<<opDescribe | 1<<opCreate); resp.ClusterAuthorizedOperations != want {
				t.Errorf("authorized operations %b, want %b", resp.ClusterAuthorizedOperations, want)
			}
		}},
		{name: "BrokerRegistration/CLUSTER_ACTION on the controller listener", grants: []grant{clusterG(opAlter)}, run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrBrokerRegistrationRequest()
			req.BrokerID = 7
			wantCode(t, "register", e.doCtrl(t, req).(*kmsg.BrokerRegistrationResponse).ErrorCode, errCluster)
			brokers, err := e.adm.ListBrokers(e.ctx)
			if err != nil || len(brokers) != 1 {
				t.Errorf("after a denied registration: %v, %d brokers", err, len(brokers))
			}
		}},
		{name: "BrokerHeartbeat/CLUSTER_ACTION", run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrBrokerHeartbeatRequest()
			req.BrokerID, req.WantShutdown = 1, true
			wantCode(t, "heartbeat", e.doCtrl(t, req).(*kmsg.BrokerHeartbeatResponse).ErrorCode, errCluster)
		}},
		{name: "AlterPartition/CLUSTER_ACTION", run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrAlterPartitionRequest()
			req.BrokerID = 1
			wantCode(t, "alter partition", e.doCtrl(t, req).(*kmsg.AlterPartitionResponse).ErrorCode, errCluster)
		}},
		{name: "AllocateProducerIDs/CLUSTER_ACTION", run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrAllocateProducerIDsRequest()
			req.BrokerID = 1
			resp := e.doCtrl(t, req).(*kmsg.AllocateProducerIDsResponse)
			wantCode(t, "allocate", resp.ErrorCode, errCluster)
			if resp.ProducerIDLen != 0 {
				t.Errorf("denied: %d producer ids handed out", resp.ProducerIDLen)
			}
		}},
	}
}
