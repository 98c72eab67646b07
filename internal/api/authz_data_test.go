package api_test

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

const (
	opRead            = kmsg.ACLOperationRead
	opWrite           = kmsg.ACLOperationWrite
	opCreate          = kmsg.ACLOperationCreate
	opDelete          = kmsg.ACLOperationDelete
	opAlter           = kmsg.ACLOperationAlter
	opDescribe        = kmsg.ACLOperationDescribe
	opClusterAction   = kmsg.ACLOperationClusterAction
	opDescribeConfigs = kmsg.ACLOperationDescribeConfigs
	opAlterConfigs    = kmsg.ACLOperationAlterConfigs
	opIdempotentWrite = kmsg.ACLOperationIdempotentWrite

	errTopic   = 29 // TOPIC_AUTHORIZATION_FAILED
	errGroup   = 30 // GROUP_AUTHORIZATION_FAILED
	errCluster = 31 // CLUSTER_AUTHORIZATION_FAILED
	errTxnID   = 53 // TRANSACTIONAL_ID_AUTHORIZATION_FAILED
)

// produceReq produces one batch to partition 0 of each topic.
func produceReq(t *testing.T, txnID *string, transactional bool, topics ...string) *kmsg.ProduceRequest {
	req := kmsg.NewPtrProduceRequest()
	req.SetVersion(12) // by name
	req.Acks, req.TimeoutMillis, req.TransactionID = 1, 10000, txnID
	for _, topic := range topics {
		rt := kmsg.NewProduceRequestTopic()
		rt.Topic = topic
		rp := kmsg.NewProduceRequestTopicPartition()
		rp.Records = batch(t, transactional)
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
	}
	return req
}

// fetchReq fetches partition 0 of topic from offset 0, as replica.
func fetchReq(topic string, replica int32) *kmsg.FetchRequest {
	req := kmsg.NewPtrFetchRequest()
	req.SetVersion(12) // by name; replica id in the request
	req.ReplicaID, req.MaxBytes, req.SessionEpoch = replica, 1<<20, -1
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.PartitionMaxBytes, rp.CurrentLeaderEpoch = 1<<20, -1
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	return req
}

func metadataReq(topics ...string) *kmsg.MetadataRequest {
	req := kmsg.NewPtrMetadataRequest()
	req.SetVersion(10)
	if topics != nil {
		req.Topics = []kmsg.MetadataRequestTopic{}
	}
	for _, n := range topics {
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = &n
		req.Topics = append(req.Topics, rt)
	}
	return req
}

func dataRows() []authzRow {
	return []authzRow{
		{name: "Produce/topic denied, nothing appended", grants: []grant{topicG(opWrite, tOK)}, run: func(t *testing.T, e *authzEnv) {
			before := e.endOffset(t, tNo)
			resp := e.do(t, produceReq(t, nil, false, tOK, tNo)).(*kmsg.ProduceResponse)
			for _, rt := range resp.Topics {
				want := int16(0)
				if rt.Topic == tNo {
					want = errTopic
				}
				wantCode(t, "produce "+rt.Topic, rt.Partitions[0].ErrorCode, want)
			}
			if after := e.endOffset(t, tNo); after != before {
				t.Errorf("denied produce appended: end offset %d → %d", before, after)
			}
		}},
		{name: "Produce/transactional id denied", grants: []grant{topicG(opWrite, tOK)}, run: func(t *testing.T, e *authzEnv) {
			before := e.endOffset(t, tOK)
			id := "tx"
			resp := e.do(t, produceReq(t, &id, true, tOK)).(*kmsg.ProduceResponse)
			wantCode(t, "produce", resp.Topics[0].Partitions[0].ErrorCode, errTxnID)
			if after := e.endOffset(t, tOK); after != before {
				t.Errorf("denied produce appended: end offset %d → %d", before, after)
			}
		}},
		{name: "Fetch/consumer needs READ", grants: []grant{topicG(opRead, tOK)}, run: func(t *testing.T, e *authzEnv) {
			ok := e.do(t, fetchReq(tOK, -1)).(*kmsg.FetchResponse).Topics[0].Partitions[0]
			wantCode(t, "fetch allowed", ok.ErrorCode, 0)
			if len(ok.RecordBatches) == 0 {
				t.Error("allowed fetch returned no records")
			}
			no := e.do(t, fetchReq(tNo, -1)).(*kmsg.FetchResponse).Topics[0].Partitions[0]
			wantCode(t, "fetch denied", no.ErrorCode, errTopic)
			if len(no.RecordBatches) != 0 || no.HighWatermark != -1 {
				t.Errorf("denied fetch disclosed %d bytes, high watermark %d", len(no.RecordBatches), no.HighWatermark)
			}
		}},
		{name: "Fetch/follower needs CLUSTER_ACTION", grants: []grant{topicG(opRead, tOK)}, run: func(t *testing.T, e *authzEnv) {
			p := e.do(t, fetchReq(tOK, 1)).(*kmsg.FetchResponse).Topics[0].Partitions[0]
			wantCode(t, "follower fetch", p.ErrorCode, errTopic)
			if len(p.RecordBatches) != 0 {
				t.Error("denied follower fetch returned records")
			}
		}},
		{name: "ListOffsets/DESCRIBE topic", grants: []grant{topicG(opDescribe, tOK)}, run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrListOffsetsRequest()
			req.ReplicaID = -1
			for _, n := range []string{tOK, tNo} {
				rt := kmsg.NewListOffsetsRequestTopic()
				rt.Topic = n
				rp := kmsg.NewListOffsetsRequestTopicPartition()
				rp.Timestamp, rp.CurrentLeaderEpoch = -1, -1
				rt.Partitions = append(rt.Partitions, rp)
				req.Topics = append(req.Topics, rt)
			}
			resp := e.do(t, req).(*kmsg.ListOffsetsResponse)
			wantCode(t, tOK, resp.Topics[0].Partitions[0].ErrorCode, 0)
			wantCode(t, tNo, resp.Topics[1].Partitions[0].ErrorCode, errTopic)
		}},
		{name: "OffsetForLeaderEpoch/DESCRIBE topic or CLUSTER_ACTION", grants: []grant{topicG(opDescribe, tOK)}, run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrOffsetForLeaderEpochRequest()
			req.ReplicaID = -1
			for _, n := range []string{tOK, tNo} {
				rt := kmsg.NewOffsetForLeaderEpochRequestTopic()
				rt.Topic = n
				rp := kmsg.NewOffsetForLeaderEpochRequestTopicPartition()
				rp.CurrentLeaderEpoch, rp.LeaderEpoch = -1, 0
				rt.Partitions = append(rt.Partitions, rp)
				req.Topics = append(req.Topics, rt)
			}
			resp := e.do(t, req).(*kmsg.OffsetForLeaderEpochResponse)
			wantCode(t, tOK, resp.Topics[0].Partitions[0].ErrorCode, 0)
			wantCode(t, tNo, resp.Topics[1].Partitions[0].ErrorCode, errTopic)
		}},
		{name: "Metadata/all topics filtered", grants: []grant{topicG(opDescribe, tOK)}, run: func(t *testing.T, e *authzEnv) {
			resp := e.do(t, metadataReq()).(*kmsg.MetadataResponse)
			if len(resp.Topics) != 1 || *resp.Topics[0].Topic != tOK {
				t.Errorf("all-topics metadata lists %d topics, want only %s", len(resp.Topics), tOK)
			}
		}},
		{name: "Metadata/named denied and no auto-create", grants: []grant{topicG(opDescribe, "t-auto")}, run: func(t *testing.T, e *authzEnv) {
			req := metadataReq(tNo, "t-auto")
			req.AllowAutoTopicCreation = true
			resp := e.do(t, req).(*kmsg.MetadataResponse)
			for _, mt := range resp.Topics {
				wantCode(t, *mt.Topic, mt.ErrorCode, errTopic)
				if mt.TopicID != [16]byte{} || len(mt.Partitions) > 0 {
					t.Errorf("%s: denied topic disclosed its id or partitions", *mt.Topic)
				}
			}
			if e.topicExists(t, "t-auto") {
				t.Error("auto-created a topic without CREATE")
			}
		}},
		{name: "Metadata/authorized operations", grants: []grant{topicG(opDescribe, tOK), topicG(opRead, tOK), clusterG(opDescribe), clusterG(opAlter)}, run: func(t *testing.T, e *authzEnv) {
			req := metadataReq(tOK)
			req.IncludeClusterAuthorizedOperations, req.IncludeTopicAuthorizedOperations = true, true
			resp := e.do(t, req).(*kmsg.MetadataResponse)
			if want := int32(1<<opDescribe | 1<<opAlter); resp.AuthorizedOperations != want {
				t.Errorf("cluster authorized operations %b, want %b", resp.AuthorizedOperations, want)
			}
			if want := int32(1<<opDescribe | 1<<opRead); resp.Topics[0].AuthorizedOperations != want {
				t.Errorf("topic authorized operations %b, want %b", resp.Topics[0].AuthorizedOperations, want)
			}
		}},
		{name: "DescribeTopicPartitions/DESCRIBE topic", grants: []grant{topicG(opDescribe, tOK)}, run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrDescribeTopicPartitionsRequest()
			for _, n := range []string{tOK, tNo} {
				rt := kmsg.NewDescribeTopicPartitionsRequestTopic()
				rt.Topic = n
				req.Topics = append(req.Topics, rt)
			}
			resp := e.do(t, req).(*kmsg.DescribeTopicPartitionsResponse)
			codes := map[string]int16{}
			for _, rt := range resp.Topics {
				codes[*rt.Topic] = rt.ErrorCode
			}
			wantCode(t, tOK, codes[tOK], 0)
			wantCode(t, tNo, codes[tNo], errTopic)
			all := e.do(t, kmsg.NewPtrDescribeTopicPartitionsRequest()).(*kmsg.DescribeTopicPartitionsResponse)
			if len(all.Topics) != 1 {
				t.Errorf("all topics: %d listed, want only %s", len(all.Topics), tOK)
			}
		}},
		{name: "DeleteRecords/DELETE topic", grants: []grant{topicG(opDescribe, tNo)}, run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrDeleteRecordsRequest()
			rt := kmsg.NewDeleteRecordsRequestTopic()
			rt.Topic = tNo
			rp := kmsg.NewDeleteRecordsRequestTopicPartition()
			rp.Offset = -1
			rt.Partitions = append(rt.Partitions, rp)
			req.Topics = append(req.Topics, rt)
			resp := e.do(t, req).(*kmsg.DeleteRecordsResponse)
			wantCode(t, "delete records", resp.Topics[0].Partitions[0].ErrorCode, errTopic)
			starts, err := e.adm.ListStartOffsets(e.ctx, tNo)
			if err != nil {
				t.Fatal(err)
			}
			if o, _ := starts.Lookup(tNo, 0); o.Offset != 0 {
				t.Errorf("denied DeleteRecords moved the log start to %d", o.Offset)
			}
		}},
	}
}
