package api_test

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

const txID = "tx"

func initProducerIDReq(txnID *string) *kmsg.InitProducerIDRequest {
	req := kmsg.NewPtrInitProducerIDRequest()
	req.TransactionalID, req.TransactionTimeoutMillis = txnID, 60000
	return req
}

// addPartitionsV3 is a client's AddPartitionsToTxn for partition 0 of
// each topic.
func addPartitionsV3(topics ...string) *kmsg.AddPartitionsToTxnRequest {
	req := kmsg.NewPtrAddPartitionsToTxnRequest()
	req.SetVersion(3)
	req.TransactionalID, req.ProducerID, req.ProducerEpoch = txID, 1000, 0
	for _, n := range topics {
		req.Topics = append(req.Topics, kmsg.AddPartitionsToTxnRequestTopic{Topic: n, Partitions: []int32{0}})
	}
	return req
}

func txnRows() []authzRow {
	s := func(v string) *string { return &v }
	return []authzRow{
		{name: "InitProducerId/WRITE transactional id", grants: []grant{topicG(opWrite, tOK)}, run: func(t *testing.T, e *authzEnv) {
			wantCode(t, "init", e.do(t, initProducerIDReq(s(txID))).(*kmsg.InitProducerIDResponse).ErrorCode, errTxnID)
		}},
		{name: "InitProducerId/idempotent denied", grants: []grant{topicG(opRead, tOK)}, run: func(t *testing.T, e *authzEnv) {
			wantCode(t, "init", e.do(t, initProducerIDReq(nil)).(*kmsg.InitProducerIDResponse).ErrorCode, errCluster)
		}},
		{name: "InitProducerId/idempotent with WRITE on a topic", grants: []grant{topicG(opWrite, tOK)}, run: func(t *testing.T, e *authzEnv) {
			wantCode(t, "init", e.do(t, initProducerIDReq(nil)).(*kmsg.InitProducerIDResponse).ErrorCode, 0)
		}},
		{name: "InitProducerId/idempotent with IDEMPOTENT_WRITE", grants: []grant{clusterG(opIdempotentWrite)}, run: func(t *testing.T, e *authzEnv) {
			wantCode(t, "init", e.do(t, initProducerIDReq(nil)).(*kmsg.InitProducerIDResponse).ErrorCode, 0)
		}},
		{name: "AddPartitionsToTxn/WRITE transactional id", grants: []grant{topicG(opWrite, tOK)}, run: func(t *testing.T, e *authzEnv) {
			resp := e.do(t, addPartitionsV3(tOK)).(*kmsg.AddPartitionsToTxnResponse)
			wantCode(t, "add", resp.Topics[0].Partitions[0].ErrorCode, errTxnID)
		}},
		{name: "AddPartitionsToTxn/WRITE topic", grants: []grant{txnG(opWrite, txID), topicG(opWrite, tOK)}, run: func(t *testing.T, e *authzEnv) {
			resp := e.do(t, addPartitionsV3(tOK, tNo)).(*kmsg.AddPartitionsToTxnResponse)
			wantCode(t, tOK, resp.Topics[0].Partitions[0].ErrorCode, kerr.OperationNotAttempted.Code)
			wantCode(t, tNo, resp.Topics[1].Partitions[0].ErrorCode, errTopic)
		}},
		{name: "AddPartitionsToTxn/v4 from brokers needs CLUSTER_ACTION", grants: []grant{txnG(opWrite, txID)}, run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrAddPartitionsToTxnRequest()
			req.SetVersion(4)
			tx := kmsg.NewAddPartitionsToTxnRequestTransaction()
			tx.TransactionalID, tx.ProducerID, tx.VerifyOnly = txID, 1000, true
			tx.Topics = []kmsg.AddPartitionsToTxnRequestTransactionTopic{{Topic: tOK, Partitions: []int32{0}}}
			req.Transactions = append(req.Transactions, tx)
			wantCode(t, "add v4", e.do(t, req).(*kmsg.AddPartitionsToTxnResponse).ErrorCode, errCluster)
		}},
		{name: "AddOffsetsToTxn/WRITE transactional id", grants: []grant{groupG(opRead, grp)}, run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrAddOffsetsToTxnRequest()
			req.TransactionalID, req.ProducerID, req.Group = txID, 1000, grp
			wantCode(t, "add offsets", e.do(t, req).(*kmsg.AddOffsetsToTxnResponse).ErrorCode, errTxnID)
		}},
		{name: "AddOffsetsToTxn/READ group", grants: []grant{txnG(opWrite, txID)}, run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrAddOffsetsToTxnRequest()
			req.TransactionalID, req.ProducerID, req.Group = txID, 1000, grp
			wantCode(t, "add offsets", e.do(t, req).(*kmsg.AddOffsetsToTxnResponse).ErrorCode, errGroup)
		}},
		{name: "EndTxn/WRITE transactional id", grants: []grant{txnG(opDescribe, txID)}, run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrEndTxnRequest()
			req.TransactionalID, req.ProducerID, req.Commit = txID, 1000, true
			wantCode(t, "end txn", e.do(t, req).(*kmsg.EndTxnResponse).ErrorCode, errTxnID)
		}},
		{name: "TxnOffsetCommit/WRITE transactional id, READ group", grants: []grant{groupG(opRead, grp), topicG(opRead, tOK), txnG(opWrite, "tx-other-group")}, run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrTxnOffsetCommitRequest()
			req.TransactionalID, req.Group, req.ProducerID = txID, grp, 1000
			req.Topics = []kmsg.TxnOffsetCommitRequestTopic{{Topic: tOK,
				Partitions: []kmsg.TxnOffsetCommitRequestTopicPartition{{Partition: 0, Offset: 0, LeaderEpoch: -1}}}}
			resp := e.do(t, req).(*kmsg.TxnOffsetCommitResponse)
			wantCode(t, "no WRITE on the id", resp.Topics[0].Partitions[0].ErrorCode, errTxnID)
			req.TransactionalID = "tx-other-group"
			req.Group = "g-commit"
			resp = e.do(t, req).(*kmsg.TxnOffsetCommitResponse)
			wantCode(t, "no READ on the group", resp.Topics[0].Partitions[0].ErrorCode, errGroup)
			if got := e.committed(t, "g-commit", tOK); got != 0 {
				t.Errorf("g-commit's offset changed to %d", got)
			}
		}},
		{name: "WriteTxnMarkers/CLUSTER_ACTION or ALTER", grants: []grant{topicG(opWrite, tOK)}, run: func(t *testing.T, e *authzEnv) {
			before := e.endOffset(t, tOK)
			req := kmsg.NewPtrWriteTxnMarkersRequest()
			m := kmsg.NewWriteTxnMarkersRequestMarker()
			m.ProducerID, m.Committed = 1000, true
			m.Topics = []kmsg.WriteTxnMarkersRequestMarkerTopic{{Topic: tOK, Partitions: []int32{0}}}
			req.Markers = append(req.Markers, m)
			resp := e.do(t, req).(*kmsg.WriteTxnMarkersResponse)
			wantCode(t, "markers", resp.Markers[0].Topics[0].Partitions[0].ErrorCode, errCluster)
			if after := e.endOffset(t, tOK); after != before {
				t.Errorf("denied marker appended: end offset %d → %d", before, after)
			}
		}},
		{name: "DescribeTransactions/DESCRIBE transactional id", run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrDescribeTransactionsRequest()
			req.TransactionalIDs = []string{txID}
			resp := e.do(t, req).(*kmsg.DescribeTransactionsResponse)
			wantCode(t, "describe", resp.TransactionStates[0].ErrorCode, errTxnID)
		}},
		{name: "ListTransactions/filtered by DESCRIBE transactional id", grants: []grant{txnG(opDescribe, "tx-listed")}, run: func(t *testing.T, e *authzEnv) {
			for _, id := range []string{"tx-listed", "tx-hidden"} {
				r, err := initProducerIDReq(s(id)).RequestWith(e.ctx, e.admCl)
				if err != nil || r.ErrorCode != 0 {
					t.Fatalf("admin InitProducerId %s: %v %v", id, err, kerr.ErrorForCode(r.ErrorCode))
				}
			}
			resp := e.do(t, kmsg.NewPtrListTransactionsRequest()).(*kmsg.ListTransactionsResponse)
			if len(resp.TransactionStates) != 1 || resp.TransactionStates[0].TransactionalID != "tx-listed" {
				t.Errorf("listed %+v, want only tx-listed", resp.TransactionStates)
			}
		}},
	}
}
