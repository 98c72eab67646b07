package testcluster

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/testutil"
	"github.com/strom-project/strom/internal/wire"
)

// TestDynamicConfigs alters configs through a node that is not the active
// controller (so the request is forwarded, KIP-590) and sees the change on
// another node, described and in effect: a topic's max.message.bytes makes
// a larger produce fail with MESSAGE_TOO_LARGE, the cluster-wide
// log.retention.ms becomes every topic's retention.ms with source
// DYNAMIC_DEFAULT_BROKER_CONFIG, and per-broker configs go only to the
// broker they name.
func TestDynamicConfigs(t *testing.T) {
	c := Start(t, Options{Nodes: 3})
	createTopic(t, c, "dyn", 1, 3)
	adm := kadm.NewClient(client(t, c))
	ctx, cancel := context.WithTimeout(t.Context(), opTimeout)
	defer cancel()
	meta, err := adm.BrokerMetadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Node ids are 1..3, in Bootstrap order.
	follower := int32(1)
	if meta.Controller == follower {
		follower = 2
	}
	other := 6 - meta.Controller - follower // the third node
	addr := func(id int32) string { return c.Bootstrap()[id-1] }

	// A topic config through a non-controller node.
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	req.Resources = append(req.Resources, alterResource(kmsg.ConfigResourceTypeTopic, "dyn", "max.message.bytes", "1000"),
		alterResource(kmsg.ConfigResourceTypeBroker, "", "log.retention.ms", "3600000"))
	resp := send(ctx, t, addr(follower), req).(*kmsg.IncrementalAlterConfigsResponse)
	for _, r := range resp.Resources {
		if r.ErrorCode != 0 {
			t.Fatalf("%s %q: %v %v", r.ResourceType, r.ResourceName, kerr.ErrorForCode(r.ErrorCode), r.ErrorMessage)
		}
	}

	// Described on another node once it has applied the entry.
	testutil.WaitFor(t, opTimeout, func() error {
		d := kmsg.NewPtrDescribeConfigsRequest()
		d.SetVersion(4) // the wire client does not negotiate versions
		d.IncludeSynonyms = true
		dr := kmsg.NewDescribeConfigsRequestResource()
		dr.ResourceType, dr.ResourceName = kmsg.ConfigResourceTypeTopic, "dyn"
		d.Resources = append(d.Resources, dr)
		got := map[string]kmsg.DescribeConfigsResponseResourceConfig{}
		for _, cfg := range send(ctx, t, addr(other), d).(*kmsg.DescribeConfigsResponse).Resources[0].Configs {
			got[cfg.Name] = cfg
		}
		mmb, ret := got["max.message.bytes"], got["retention.ms"]
		if mmb.Value == nil || *mmb.Value != "1000" || mmb.Source != kmsg.ConfigSourceDynamicTopicConfig {
			return fmt.Errorf("node %d: max.message.bytes %v from %v", other, deref(mmb.Value), mmb.Source)
		}
		if ret.Value == nil || *ret.Value != "3600000" || ret.Source != kmsg.ConfigSourceDynamicDefaultBrokerConfig {
			return fmt.Errorf("node %d: retention.ms %v from %v", other, deref(ret.Value), ret.Source)
		}
		return nil
	})

	// In effect at the partition's leader, wherever it is.
	cl := client(t, c, kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerBatchCompression(kgo.NoCompression()))
	big := &kgo.Record{Topic: "dyn", Value: make([]byte, 2000)}
	rand.Read(big.Value)
	testutil.WaitFor(t, opTimeout, func() error {
		if err := cl.ProduceSync(ctx, big).FirstErr(); !errors.Is(err, kerr.MessageTooLarge) {
			return fmt.Errorf("2000-byte record with max.message.bytes=1000: %v", err)
		}
		return nil
	})

	// A per-broker config goes to the broker it names; elsewhere it is
	// INVALID_REQUEST, as in Kafka.
	own := kmsg.NewPtrIncrementalAlterConfigsRequest()
	own.Resources = append(own.Resources, alterResource(kmsg.ConfigResourceTypeBroker, fmt.Sprint(follower), "log.segment.bytes", "5000000"))
	if r := send(ctx, t, addr(other), own).(*kmsg.IncrementalAlterConfigsResponse).Resources[0]; r.ErrorCode != kerr.InvalidRequest.Code {
		t.Errorf("broker %d's config sent to node %d: %v", follower, other, kerr.ErrorForCode(r.ErrorCode))
	}
	if r := send(ctx, t, addr(follower), own).(*kmsg.IncrementalAlterConfigsResponse).Resources[0]; r.ErrorCode != 0 {
		t.Fatalf("broker %d's config: %v %v", follower, kerr.ErrorForCode(r.ErrorCode), deref(r.ErrorMessage))
	}
	testutil.WaitFor(t, opTimeout, func() error {
		rcs, err := adm.DescribeBrokerConfigs(ctx, follower)
		if err != nil {
			return err
		}
		for _, cfg := range rcs[0].Configs {
			if cfg.Key == "log.segment.bytes" && cfg.MaybeValue() == "5000000" && cfg.Source == kmsg.ConfigSourceDynamicBrokerConfig {
				return nil
			}
		}
		return errors.New("log.segment.bytes not yet dynamic on broker " + fmt.Sprint(follower))
	})
}

func alterResource(typ kmsg.ConfigResourceType, name, key, value string) kmsg.IncrementalAlterConfigsRequestResource {
	r := kmsg.NewIncrementalAlterConfigsRequestResource()
	r.ResourceType, r.ResourceName = typ, name
	cfg := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
	cfg.Name, cfg.Value = key, kmsg.StringPtr(value)
	r.Configs = append(r.Configs, cfg)
	return r
}

// send sends req to the node at addr itself (no routing by a client).
func send(ctx context.Context, t *testing.T, addr string, req kmsg.Request) kmsg.Response {
	t.Helper()
	cl := wire.NewClient(addr, "configs-test")
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := cl.Do(ctx, req)
	if err != nil {
		t.Fatalf("%s to %s: %v", kmsg.NameForKey(req.Key()), addr, err)
	}
	return resp
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
