package api_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/api"
	"github.com/strom-project/strom/internal/testcluster"
	"github.com/strom-project/strom/internal/testutil"
)

// Forwarded admin requests are checked with the client's principal on the
// broker that received them: denied items are answered there and never
// reach the controller (which would only see the forwarding broker).
func TestAuthorizationForwarded(t *testing.T) {
	acls := &aclSet{}
	undo := api.SetAuthorizerForTest(acls)
	c := testcluster.Start(t, testcluster.Options{Nodes: 3})
	undo()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admCl, err := kgo.NewClient(kgo.SeedBrokers(c.Bootstrap()...), kgo.ClientID("admin"))
	if err != nil {
		t.Fatal(err)
	}
	defer admCl.Close()
	e := &authzEnv{ctx: ctx, adm: kadm.NewClient(admCl), admCl: admCl}
	// Alice talks to a node that is not the active controller, which
	// forwards.
	md, err := e.adm.BrokerMetadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	other := c.Bootstrap()[0]
	if md.Controller == 1 {
		other = c.Bootstrap()[1]
	}
	e.alice, err = kgo.NewClient(kgo.SeedBrokers(other), kgo.ClientID("alice"))
	if err != nil {
		t.Fatal(err)
	}
	defer e.alice.Close()

	if _, err := e.adm.CreateTopics(ctx, 1, 1, nil, tNo); err != nil {
		t.Fatal(err)
	}
	acls.set([]grant{topicG(opCreate, "f-made")})
	resp := e.do(t, createTopicsReq("f-made", "f-refused")).(*kmsg.CreateTopicsResponse)
	codes := map[string]int16{}
	for _, rt := range resp.Topics {
		codes[rt.Topic] = rt.ErrorCode
		if rt.Topic == "f-made" && (rt.ConfigErrorCode != errTopic || len(rt.Configs) != 0) {
			t.Errorf("f-made: configs disclosed without DESCRIBE_CONFIGS (%d, %d configs)", rt.ConfigErrorCode, len(rt.Configs))
		}
	}
	wantCode(t, "f-made", codes["f-made"], 0)
	wantCode(t, "f-refused", codes["f-refused"], errTopic)
	// The create went through the controller; the broker asked may apply
	// it a moment later.
	testutil.WaitFor(t, 10*time.Second, func() error {
		if !e.topicExists(t, "f-made") {
			return errors.New("f-made is not in the metadata")
		}
		return nil
	})
	if e.topicExists(t, "f-refused") {
		t.Error("f-refused was created without CREATE")
	}

	acls.set([]grant{topicG(opAlterConfigs, "f-made")})
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	for _, n := range []string{"f-made", tNo} {
		rr := kmsg.NewIncrementalAlterConfigsRequestResource()
		rr.ResourceType, rr.ResourceName = kmsg.ConfigResourceTypeTopic, n
		v := "123456"
		rr.Configs = []kmsg.IncrementalAlterConfigsRequestResourceConfig{{Name: "retention.ms", Value: &v}}
		req.Resources = append(req.Resources, rr)
	}
	ar := e.do(t, req).(*kmsg.IncrementalAlterConfigsResponse)
	wantCode(t, "alter f-made", ar.Resources[0].ErrorCode, 0)
	wantCode(t, "alter "+tNo, ar.Resources[1].ErrorCode, errTopic)

	acls.set([]grant{topicG(opDescribe, "f-made")})
	dreq := kmsg.NewPtrDeleteTopicsRequest()
	dreq.TimeoutMillis = 10000
	name := "f-made"
	dreq.Topics = []kmsg.DeleteTopicsRequestTopic{{Topic: &name}}
	wantCode(t, "delete", e.do(t, dreq).(*kmsg.DeleteTopicsResponse).Topics[0].ErrorCode, errTopic)
	if !e.topicExists(t, "f-made") {
		t.Error("a topic was deleted without DELETE")
	}

	acls.set(nil)
	ereq := kmsg.NewPtrElectLeadersRequest()
	wantCode(t, "elect", e.do(t, ereq).(*kmsg.ElectLeadersResponse).ErrorCode, errCluster)
}
