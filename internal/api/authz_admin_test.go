package api_test

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func createTopicsReq(names ...string) *kmsg.CreateTopicsRequest {
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 10000
	for _, n := range names {
		rt := kmsg.NewCreateTopicsRequestTopic()
		rt.Topic, rt.NumPartitions, rt.ReplicationFactor = n, 1, 1
		req.Topics = append(req.Topics, rt)
	}
	return req
}

func adminRows() []authzRow {
	return []authzRow{
		{name: "CreateTopics/CREATE topic, configs hidden", grants: []grant{topicG(opCreate, "t-made")}, run: func(t *testing.T, e *authzEnv) {
			resp := e.do(t, createTopicsReq("t-made", "t-refused")).(*kmsg.CreateTopicsResponse)
			got := map[string]kmsg.CreateTopicsResponseTopic{}
			for _, rt := range resp.Topics {
				got[rt.Topic] = rt
			}
			made, refused := got["t-made"], got["t-refused"]
			wantCode(t, "t-made", made.ErrorCode, 0)
			// No DESCRIBE_CONFIGS: the result tells nothing of the topic.
			wantCode(t, "t-made config error", made.ConfigErrorCode, errTopic)
			if made.NumPartitions != -1 || len(made.Configs) != 0 {
				t.Errorf("t-made: %d partitions and %d configs disclosed", made.NumPartitions, len(made.Configs))
			}
			wantCode(t, "t-refused", refused.ErrorCode, errTopic)
			if !e.topicExists(t, "t-made") || e.topicExists(t, "t-refused") {
				t.Error("want t-made created and t-refused not")
			}
		}},
		{name: "CreateTopics/CREATE cluster", grants: []grant{clusterG(opCreate), topicG(opDescribeConfigs, "t-made2")}, run: func(t *testing.T, e *authzEnv) {
			rt := e.do(t, createTopicsReq("t-made2")).(*kmsg.CreateTopicsResponse).Topics[0]
			wantCode(t, "create", rt.ErrorCode, 0)
			if rt.NumPartitions != 1 || len(rt.Configs) == 0 {
				t.Errorf("with DESCRIBE_CONFIGS: %d partitions, %d configs", rt.NumPartitions, len(rt.Configs))
			}
		}},
		{name: "DeleteTopics/DELETE topic", grants: []grant{topicG(opDescribe, tNo)}, run: func(t *testing.T, e *authzEnv) {
			td, err := e.adm.ListTopics(e.ctx, tNo, tOK)
			if err != nil {
				t.Fatal(err)
			}
			req := kmsg.NewPtrDeleteTopicsRequest()
			req.TimeoutMillis = 10000
			// By id: tNo may be described, so named; tOK not, so anonymous.
			req.Topics = []kmsg.DeleteTopicsRequestTopic{{TopicID: td[tNo].ID}, {TopicID: td[tOK].ID}}
			resp := e.do(t, req).(*kmsg.DeleteTopicsResponse)
			for _, rt := range resp.Topics {
				wantCode(t, "delete by id", rt.ErrorCode, errTopic)
				if named := rt.Topic != nil; named != (rt.TopicID == td[tNo].ID) {
					t.Errorf("topic %x: name %v disclosed wrongly", rt.TopicID, rt.Topic)
				}
			}
			byName := kmsg.NewPtrDeleteTopicsRequest()
			byName.SetVersion(5)
			byName.TopicNames = []string{tNo}
			wantCode(t, "delete by name", e.do(t, byName).(*kmsg.DeleteTopicsResponse).Topics[0].ErrorCode, errTopic)
			if !e.topicExists(t, tNo) || !e.topicExists(t, tOK) {
				t.Error("a denied topic was deleted")
			}
		}},
		{name: "CreatePartitions/ALTER topic", grants: []grant{topicG(opDescribe, tNo)}, run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrCreatePartitionsRequest()
			req.TimeoutMillis = 10000
			req.Topics = []kmsg.CreatePartitionsRequestTopic{{Topic: tNo, Count: 2}}
			wantCode(t, "create partitions", e.do(t, req).(*kmsg.CreatePartitionsResponse).Topics[0].ErrorCode, errTopic)
			td, err := e.adm.ListTopics(e.ctx, tNo)
			if err != nil || len(td[tNo].Partitions) != 1 {
				t.Errorf("denied CreatePartitions: %v, %d partitions", err, len(td[tNo].Partitions))
			}
		}},
		{name: "DescribeConfigs/DESCRIBE_CONFIGS", grants: []grant{topicG(opDescribeConfigs, tOK)}, run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrDescribeConfigsRequest()
			for _, r := range []struct {
				typ  kmsg.ConfigResourceType
				name string
			}{{kmsg.ConfigResourceTypeTopic, tOK}, {kmsg.ConfigResourceTypeTopic, tNo}, {kmsg.ConfigResourceTypeBroker, "1"}} {
				rr := kmsg.NewDescribeConfigsRequestResource()
				rr.ResourceType, rr.ResourceName = r.typ, r.name
				req.Resources = append(req.Resources, rr)
			}
			resp := e.do(t, req).(*kmsg.DescribeConfigsResponse)
			for i, want := range []int16{0, errTopic, errCluster} {
				wantCode(t, resp.Resources[i].ResourceName, resp.Resources[i].ErrorCode, want)
			}
			if len(resp.Resources[1].Configs) != 0 {
				t.Error("denied topic configs disclosed")
			}
		}},
		{name: "IncrementalAlterConfigs/ALTER_CONFIGS", grants: []grant{topicG(opAlterConfigs, tOK)}, run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrIncrementalAlterConfigsRequest()
			for _, r := range []struct {
				typ  kmsg.ConfigResourceType
				name string
			}{{kmsg.ConfigResourceTypeTopic, tOK}, {kmsg.ConfigResourceTypeTopic, tNo}, {kmsg.ConfigResourceTypeBroker, ""}} {
				rr := kmsg.NewIncrementalAlterConfigsRequestResource()
				rr.ResourceType, rr.ResourceName = r.typ, r.name
				v := "123456"
				rr.Configs = []kmsg.IncrementalAlterConfigsRequestResourceConfig{{Name: "retention.ms", Value: &v}}
				if r.typ == kmsg.ConfigResourceTypeBroker {
					rr.Configs[0].Name = "log.retention.ms"
				}
				req.Resources = append(req.Resources, rr)
			}
			resp := e.do(t, req).(*kmsg.IncrementalAlterConfigsResponse)
			for i, want := range []int16{0, errTopic, errCluster} {
				wantCode(t, resp.Resources[i].ResourceName, resp.Resources[i].ErrorCode, want)
			}
			rcs, err := e.adm.DescribeTopicConfigs(e.ctx, tNo)
			if err != nil {
				t.Fatal(err)
			}
			if c, _ := rcs.On(tNo, nil); c.Err == nil {
				for _, cfg := range c.Configs {
					if cfg.Key == "retention.ms" && cfg.MaybeValue() == "123456" {
						t.Error("denied alter changed retention.ms")
					}
				}
			}
		}},
		{name: "AlterConfigs/ALTER_CONFIGS", run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrAlterConfigsRequest()
			rr := kmsg.NewAlterConfigsRequestResource()
			rr.ResourceType, rr.ResourceName = kmsg.ConfigResourceTypeTopic, tNo
			req.Resources = append(req.Resources, rr)
			wantCode(t, "alter configs", e.do(t, req).(*kmsg.AlterConfigsResponse).Resources[0].ErrorCode, errTopic)
		}},
		{name: "DescribeClientQuotas/DESCRIBE_CONFIGS cluster", run: func(t *testing.T, e *authzEnv) {
			wantCode(t, "describe quotas", e.do(t, kmsg.NewPtrDescribeClientQuotasRequest()).(*kmsg.DescribeClientQuotasResponse).ErrorCode, errCluster)
		}},
		{name: "AlterClientQuotas/ALTER_CONFIGS cluster", grants: []grant{clusterG(opDescribeConfigs)}, run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrAlterClientQuotasRequest()
			u := "bob"
			req.Entries = []kmsg.AlterClientQuotasRequestEntry{{
				Entity: []kmsg.AlterClientQuotasRequestEntryEntity{{Type: "user", Name: &u}},
				Ops:    []kmsg.AlterClientQuotasRequestEntryOp{{Key: "producer_byte_rate", Value: 1024}},
			}}
			wantCode(t, "alter quotas", e.do(t, req).(*kmsg.AlterClientQuotasResponse).Entries[0].ErrorCode, errCluster)
			d := e.do(t, kmsg.NewPtrDescribeClientQuotasRequest()).(*kmsg.DescribeClientQuotasResponse)
			if d.ErrorCode != 0 || len(d.Entries) != 0 {
				t.Errorf("after a denied alter: %v, %d quota entries", d.ErrorCode, len(d.Entries))
			}
		}},
		{name: "DescribeUserScramCredentials/DESCRIBE cluster", run: func(t *testing.T, e *authzEnv) {
			resp := e.do(t, kmsg.NewPtrDescribeUserSCRAMCredentialsRequest()).(*kmsg.DescribeUserSCRAMCredentialsResponse)
			wantCode(t, "describe scram", resp.ErrorCode, errCluster)
		}},
		{name: "AlterUserScramCredentials/ALTER cluster", run: func(t *testing.T, e *authzEnv) {
			req := kmsg.NewPtrAlterUserSCRAMCredentialsRequest()
			req.Deletions = []kmsg.AlterUserSCRAMCredentialsRequestDeletion{{Name: "bob", Mechanism: 1}}
			wantCode(t, "alter scram", e.do(t, req).(*kmsg.AlterUserSCRAMCredentialsResponse).Results[0].ErrorCode, errCluster)
		}},
	}
}
