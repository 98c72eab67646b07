package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestApplyOps(t *testing.T) {
	cur := map[string]string{"cleanup.policy": "delete", "retention.ms": "10"}
	for _, tc := range []struct {
		name    string
		target  Target
		cur     map[string]string
		ops     []Op
		want    map[string]string
		wantErr string
	}{
		{"set", TargetTopic, cur, []Op{{Name: "segment.ms", Value: "5"}},
			map[string]string{"cleanup.policy": "delete", "retention.ms": "10", "segment.ms": "5"}, ""},
		{"delete", TargetTopic, cur, []Op{{Name: "retention.ms", Type: OpDelete}},
			map[string]string{"cleanup.policy": "delete"}, ""},
		{"delete absent", TargetTopic, cur, []Op{{Name: "segment.ms", Type: OpDelete}}, cur, ""},
		{"append new", TargetTopic, cur, []Op{{Name: "cleanup.policy", Type: OpAppend, Value: "compact"}},
			map[string]string{"cleanup.policy": "delete,compact", "retention.ms": "10"}, ""},
		{"append present", TargetTopic, cur, []Op{{Name: "cleanup.policy", Type: OpAppend, Value: "delete"}}, cur, ""},
		{"append from the default", TargetTopic, nil, []Op{{Name: "cleanup.policy", Type: OpAppend, Value: "compact"}},
			map[string]string{"cleanup.policy": "delete,compact"}, ""},
		{"subtract", TargetTopic, cur, []Op{{Name: "cleanup.policy", Type: OpSubtract, Value: "delete"}},
			map[string]string{"cleanup.policy": "", "retention.ms": "10"}, ""},
		{"subtract several", TargetClusterDefault, map[string]string{"log.cleanup.policy": "delete,compact"},
			[]Op{{Name: "log.cleanup.policy", Type: OpSubtract, Value: "compact,delete"}}, map[string]string{"log.cleanup.policy": ""}, ""},
		{"ops in order", TargetTopic, nil, []Op{{Name: "retention.ms", Value: "1"}, {Name: "retention.ms", Type: OpDelete}},
			map[string]string{}, ""},
		{"append to a long", TargetTopic, cur, []Op{{Name: "retention.ms", Type: OpAppend, Value: "1"}}, nil,
			"Can't APPEND to key retention.ms because its type is not LIST."},
		{"subtract from unknown", TargetTopic, cur, []Op{{Name: "x", Type: OpSubtract, Value: "1"}}, nil,
			"Can't SUBTRACT to key x because its type is not LIST."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ApplyOps(tc.target, tc.cur, tc.ops)
			if tc.wantErr != "" {
				if !errors.Is(err, ErrInvalidConfig) || Message(err) != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got)\n%s", d)
			}
		})
	}
	if cur["retention.ms"] != "10" || len(cur) != 2 {
		t.Errorf("ApplyOps modified its input: %v", cur)
	}
}

func TestValidateDynamic(t *testing.T) {
	for _, tc := range []struct {
		name    string
		target  Target
		configs map[string]string
		wantErr string // "" valid
	}{
		{"topic ok", TargetTopic, map[string]string{"retention.ms": "-1", "cleanup.policy": "compact,delete"}, ""},
		{"unknown topic config", TargetTopic, map[string]string{"retention.ms": "1", "retention.mss": "1"}, "Unknown topic config name: retention.mss"},
		{"broker config on a topic", TargetTopic, map[string]string{"log.retention.ms": "1"}, "Unknown topic config name: log.retention.ms"},
		{"bad type", TargetTopic, map[string]string{"segment.bytes": "big"}, "expected a 32-bit integer"},
		{"validator", TargetTopic, map[string]string{"min.insync.replicas": "0"}, "value must be at least 1"},
		{"compaction lags in order", TargetTopic, map[string]string{"min.compaction.lag.ms": "100", "max.compaction.lag.ms": "100"}, ""},
		{"compaction lags crossed", TargetTopic, map[string]string{"min.compaction.lag.ms": "200", "max.compaction.lag.ms": "100"},
			"conflict topic config setting min.compaction.lag.ms (200) > max.compaction.lag.ms (100)"},
		{"cluster default ok", TargetClusterDefault, map[string]string{"log.retention.ms": "1000", "message.max.bytes": "10"}, ""},
		{"unknown broker config", TargetBroker, map[string]string{"log.retention.mss": "1"}, "Unknown broker config name: log.retention.mss"},
		{"read-only", TargetBroker, map[string]string{"node.id": "2", "process.roles": "broker", "log.retention.ms": "1"},
			"Cannot update these configs dynamically: [node.id, process.roles]"},
		{"bad broker value", TargetBroker, map[string]string{"log.segment.bytes": "1"}, "value must be at least 14"},
		{"per-broker at cluster level", TargetClusterDefault, map[string]string{"listener.security.protocol.map": "A:PLAINTEXT"},
			"Strom cannot apply these configs while running yet"},
		{"not applied live", TargetBroker, map[string]string{"listeners": "PLAINTEXT://:1"},
			"Strom cannot apply these configs while running yet; set them in server.properties: [listeners]"},
		{"compat no-op accepted", TargetClusterDefault, map[string]string{"num.io.threads": "4"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateDynamic(tc.target, tc.configs)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(Message(err), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// TestScopes pins the dynamic scope of configs to Kafka's DynamicBrokerConfig.
func TestScopes(t *testing.T) {
	for name, want := range map[string]Scope{
		"node.id": ReadOnly, "process.roles": ReadOnly, "log.dirs": ReadOnly, "log.dir": ReadOnly,
		"log.retention.hours": ReadOnly, "log.retention.minutes": ReadOnly, "log.roll.hours": ReadOnly,
		"listeners": PerBroker, "advertised.listeners": PerBroker, "listener.security.protocol.map": PerBroker,
		"num.io.threads": ClusterWide, "num.network.threads": ClusterWide, "num.replica.fetchers": ClusterWide,
		"max.connections.per.ip": ClusterWide, "producer.id.expiration.ms": ClusterWide,
		"num.partitions": ReadOnly, "default.replication.factor": ReadOnly,
	} {
		if got := BrokerDefs[name].Scope; got != want {
			t.Errorf("%s: scope %d, want %d", name, got, want)
		}
	}
	// Every broker synonym of a topic config is dynamic cluster-wide in
	// Kafka (DynamicLogConfig.ReconfigurableConfigs).
	for _, d := range TopicDefs {
		if b := BrokerDefs[d.Synonym]; b != nil && b.Scope != ClusterWide {
			t.Errorf("%s (synonym of %s) must be ClusterWide", d.Synonym, d.Name)
		}
	}
}
