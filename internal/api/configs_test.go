package api_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/teststrom"
	"github.com/strom-project/strom/internal/testutil"
)

func TestMain(m *testing.M) {
	code := m.Run()
	teststrom.RemoveBinary()
	os.Exit(code)
}

// adminFor starts one `strom serve` and returns a kadm client for it.
func adminFor(t *testing.T) (*kadm.Client, *kgo.Client) {
	t.Helper()
	b, err := teststrom.Start(teststrom.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Stop() })
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return kadm.NewClient(cl), cl
}

func str(s string) *string { return &s }

// describeOne returns one config of a described resource.
func describeOne(t *testing.T, rcs kadm.ResourceConfigs, err error, key string) kadm.Config {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if len(rcs) != 1 || rcs[0].Err != nil {
		t.Fatalf("describe: %+v", rcs)
	}
	for _, c := range rcs[0].Configs {
		if c.Key == key {
			return c
		}
	}
	t.Fatalf("%s not described", key)
	return kadm.Config{}
}

// TestAlterConfigsSingleNode drives IncrementalAlterConfigs, AlterConfigs
// and DescribeConfigs over a real socket with kadm: topic overrides and
// dynamic broker configs, their sources and synonyms, validation errors,
// validate_only, and a change that takes effect at once (max.message.bytes).
func TestAlterConfigsSingleNode(t *testing.T) {
	adm, cl := adminFor(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if _, err := adm.CreateTopic(ctx, 1, 1, map[string]*string{"cleanup.policy": str("delete")}, "cfg"); err != nil {
		t.Fatal(err)
	}

	// Incremental SET / APPEND, then the change is described and in effect.
	alter := func(topic string, ops ...kadm.AlterConfig) error {
		t.Helper()
		rs, err := adm.AlterTopicConfigs(ctx, ops, topic)
		if err != nil {
			t.Fatal(err)
		}
		if rs[0].Err != nil {
			return errors.Join(rs[0].Err, errors.New(rs[0].ErrMessage))
		}
		return nil
	}
	if err := alter("cfg", kadm.AlterConfig{Op: kadm.SetConfig, Name: "max.message.bytes", Value: str("1000")},
		kadm.AlterConfig{Op: kadm.AppendConfig, Name: "cleanup.policy", Value: str("compact")}); err != nil {
		t.Fatal(err)
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, "cfg")
	if c := describeOne(t, rcs, err, "max.message.bytes"); c.MaybeValue() != "1000" || c.Source != kmsg.ConfigSourceDynamicTopicConfig {
		t.Errorf("max.message.bytes = %s from %v", c.MaybeValue(), c.Source)
	}
	if c := describeOne(t, rcs, err, "cleanup.policy"); c.MaybeValue() != "delete,compact" {
		t.Errorf("cleanup.policy after APPEND = %s", c.MaybeValue())
	}
	// Incompressible, so the batch stays above 1000 bytes whatever codec
	// the client picks. Brokers apply a committed change asynchronously
	// (as in Kafka): poll.
	big := &kgo.Record{Topic: "cfg", Value: make([]byte, 2000)}
	rand.Read(big.Value)
	testutil.WaitFor(t, 10*time.Second, func() error {
		if err := cl.ProduceSync(ctx, big).FirstErr(); !errors.Is(err, kerr.MessageTooLarge) {
			return fmt.Errorf("2000-byte record with max.message.bytes=1000: %v, want MESSAGE_TOO_LARGE", err)
		}
		return nil
	})

	// Validation errors: Kafka's codes and messages; nothing changes.
	for _, tc := range []struct {
		op   kadm.AlterConfig
		want error
		msg  string
	}{
		{kadm.AlterConfig{Name: "no.such.config", Value: str("1")}, kerr.InvalidConfig, "Unknown topic config name: no.such.config"},
		{kadm.AlterConfig{Name: "retention.ms", Value: str("-7")}, kerr.InvalidConfig, "at least -1"},
		{kadm.AlterConfig{Op: kadm.AppendConfig, Name: "retention.ms", Value: str("1")}, kerr.InvalidConfig, "not LIST"},
		{kadm.AlterConfig{Name: "retention.ms"}, kerr.InvalidRequest, "Null value not supported"},
	} {
		if err := alter("cfg", tc.op); !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s op %d: %v, want %v %q", tc.op.Name, tc.op.Op, err, tc.want, tc.msg)
		}
	}
	if err := alter("missing", kadm.AlterConfig{Name: "retention.ms", Value: str("1")}); !errors.Is(err, kerr.UnknownTopicOrPartition) {
		t.Errorf("unknown topic: %v", err)
	}
	if rs, err := adm.ValidateAlterTopicConfigs(ctx, []kadm.AlterConfig{{Name: "retention.ms", Value: str("5")}}, "cfg"); err != nil || rs[0].Err != nil {
		t.Fatalf("validate only: %v %+v", err, rs)
	}
	rcs, err = adm.DescribeTopicConfigs(ctx, "cfg")
	if c := describeOne(t, rcs, err, "retention.ms"); c.Source != kmsg.ConfigSourceDefaultConfig {
		t.Errorf("validate_only changed retention.ms: %s from %v", c.MaybeValue(), c.Source)
	}

	// Cluster-wide dynamic default: topics without an override follow it.
	if rs, err := adm.AlterBrokerConfigs(ctx, []kadm.AlterConfig{{Name: "log.retention.ms", Value: str("3600000")}}); err != nil || rs[0].Err != nil {
		t.Fatalf("cluster default: %v %+v", err, rs)
	}
	rcs, err = adm.DescribeTopicConfigs(ctx, "cfg")
	c := describeOne(t, rcs, err, "retention.ms")
	if c.MaybeValue() != "3600000" || c.Source != kmsg.ConfigSourceDynamicDefaultBrokerConfig ||
		len(c.Synonyms) == 0 || c.Synonyms[0].Key != "log.retention.ms" || c.Synonyms[0].Source != kmsg.ConfigSourceDynamicDefaultBrokerConfig {
		t.Errorf("retention.ms = %s from %v, synonyms %+v", c.MaybeValue(), c.Source, c.Synonyms)
	}
	rcs, err = adm.DescribeBrokerConfigs(ctx)
	if c := describeOne(t, rcs, err, "log.retention.ms"); c.MaybeValue() != "3600000" || len(rcs[0].Configs) != 1 {
		t.Errorf("cluster default describe lists %d configs, log.retention.ms = %s", len(rcs[0].Configs), c.MaybeValue())
	}

	// This broker: its own value comes first; read-only configs say so.
	if rs, err := adm.AlterBrokerConfigs(ctx, []kadm.AlterConfig{{Name: "log.retention.ms", Value: str("7200000")}}, 1); err != nil || rs[0].Err != nil {
		t.Fatalf("broker 1: %v %+v", err, rs)
	}
	rcs, err = adm.DescribeBrokerConfigs(ctx, 1)
	c = describeOne(t, rcs, err, "log.retention.ms")
	if c.MaybeValue() != "7200000" || c.Source != kmsg.ConfigSourceDynamicBrokerConfig || len(c.Synonyms) < 2 ||
		c.Synonyms[1].Source != kmsg.ConfigSourceDynamicDefaultBrokerConfig {
		t.Errorf("broker log.retention.ms = %s from %v, synonyms %+v", c.MaybeValue(), c.Source, c.Synonyms)
	}
	rs, err := adm.AlterBrokerConfigs(ctx, []kadm.AlterConfig{{Name: "node.id", Value: str("4")}}, 1)
	if err != nil || !errors.Is(rs[0].Err, kerr.InvalidConfig) || !strings.Contains(rs[0].ErrMessage, "Cannot update these configs dynamically: [node.id]") {
		t.Errorf("read-only node.id: %v %+v", err, rs)
	}

	// Legacy AlterConfigs replaces the whole set.
	if rs, err := adm.AlterTopicConfigsState(ctx, []kadm.AlterConfig{{Name: "segment.ms", Value: str("60000")}}, "cfg"); err != nil || rs[0].Err != nil {
		t.Fatalf("AlterConfigs: %v %+v", err, rs)
	}
	rcs, err = adm.DescribeTopicConfigs(ctx, "cfg")
	if c := describeOne(t, rcs, err, "max.message.bytes"); c.Source == kmsg.ConfigSourceDynamicTopicConfig {
		t.Error("AlterConfigs kept max.message.bytes it did not name")
	}
	if c := describeOne(t, rcs, err, "segment.ms"); c.MaybeValue() != "60000" {
		t.Errorf("segment.ms = %s", c.MaybeValue())
	}
	testutil.WaitFor(t, 10*time.Second, func() error {
		return cl.ProduceSync(ctx, big).FirstErr() // max.message.bytes is back to its default
	})
}
