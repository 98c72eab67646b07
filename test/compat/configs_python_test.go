package compat

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// pyConfigsRun is what py/*_configs.py print.
type pyConfigsRun struct {
	Version        string
	AlterError     any `json:"alter_error"`   // kafka-python: code; confluent: error name
	InvalidError   any `json:"invalid_error"` // for an unknown config name
	InvalidMessage *string
	Configs        map[string]struct {
		Value  *string
		Source int8
	}
	Unavailable bool
	Error       *string
}

// pyConfigScenario creates a topic, runs script on it (extra args after
// BOOTSTRAP TOPIC RETENTION) and checks what the client reports: the alter
// succeeded, its describe_configs sees retention.ms as a topic override and
// cleanup.policy as wantPolicy, an unknown config name fails with
// INVALID_CONFIG (wantInvalid, in the client's own spelling); franz-go then
// reads the same configs back.
func pyConfigScenario(t *testing.T, script, wantPolicy string, noError, wantInvalid any, extra ...string) {
	t.Helper()
	topic := topicName(t)
	ctx := scenarioContext(t)
	createTopic(t, ctx, topic, 1)
	const retention = "4321000"
	out := runCmd(t, "", systemPython, append([]string{"py/" + script, brokerAddr, topic, retention}, extra...)...)
	var r pyConfigsRun
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%s output is not JSON: %v\n%s", script, err, out)
	}
	if r.Unavailable {
		t.Skipf("%s %s does not have this API", script, r.Version)
	}
	if r.Error != nil {
		t.Fatalf("%s: %s", script, *r.Error)
	}
	if fmt.Sprint(r.AlterError) != fmt.Sprint(noError) {
		t.Fatalf("alter: error %v", r.AlterError)
	}
	ret, pol := r.Configs["retention.ms"], r.Configs["cleanup.policy"]
	if ret.Value == nil || *ret.Value != retention || ret.Source != int8(kmsg.ConfigSourceDynamicTopicConfig) {
		t.Errorf("client describes retention.ms = %v from source %d", deref(ret.Value), ret.Source)
	}
	if pol.Value == nil || *pol.Value != wantPolicy {
		t.Errorf("client describes cleanup.policy = %v, want %s", deref(pol.Value), wantPolicy)
	}
	if fmt.Sprint(r.InvalidError) != fmt.Sprint(wantInvalid) {
		t.Errorf("unknown config name: error %v (%s), want %v", r.InvalidError, deref(r.InvalidMessage), wantInvalid)
	}
	rcs, err := kadm.NewClient(newKgo(t)).DescribeTopicConfigs(ctx, topic)
	if err != nil || len(rcs) != 1 {
		t.Fatalf("kadm describe: %v", err)
	}
	for _, c := range rcs[0].Configs {
		if (c.Key == "retention.ms" && c.MaybeValue() != retention) || (c.Key == "cleanup.policy" && c.MaybeValue() != wantPolicy) {
			t.Errorf("franz-go reads %s = %s", c.Key, c.MaybeValue())
		}
	}
}

func TestKafkaPythonConfigs(t *testing.T) {
	needPythonModule(t, "kafka")
	scenario(t, clientKafkaPy, "alter configs", func(t *testing.T) {
		// AlterConfigs replaces the topic's set: cleanup.policy=compact.
		pyConfigScenario(t, "kafkapython_configs.py", "compact", 0, 40) // 40: INVALID_CONFIG
	})
}

func TestConfluentKafkaPythonConfigs(t *testing.T) {
	needPythonModule(t, "confluent_kafka")
	scenario(t, clientConfluent, "alter configs", func(t *testing.T) {
		pyConfigScenario(t, "confluent_configs.py", "compact", "", "INVALID_CONFIG", "legacy")
	})
	scenario(t, clientConfluent, "incremental alter configs", func(t *testing.T) {
		// APPEND starts from the default, delete.
		pyConfigScenario(t, "confluent_configs.py", "delete,compact", "", "INVALID_CONFIG", "incremental")
	})
}
