package controller

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/metadata"
)

func TestAlterConfigs(t *testing.T) {
	c := start(t, testOptions(t.TempDir()))
	ctx := context.Background()
	if r := c.CreateTopics(ctx, []CreateTopic{{Name: "t", NumPartitions: 1, ReplicationFactor: 1,
		Configs: map[string]string{"retention.ms": "1000", "cleanup.policy": "delete"}}}, false); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	topic := metadata.ConfigResource{Type: metadata.TopicResource, Name: "t"}
	def := metadata.ConfigResource{Type: metadata.BrokerResource}
	b1 := metadata.ConfigResource{Type: metadata.BrokerResource, Name: "1"}
	set := func(name, v string) config.Op { return config.Op{Name: name, Type: config.OpSet, Value: v} }
	for _, tc := range []struct {
		name     string
		alt      AlterConfig
		validate bool
		wantErr  error
		wantMsg  string
		res      metadata.ConfigResource
		want     map[string]string // the resource's configs afterwards
	}{
		{name: "set and append", alt: AlterConfig{Resource: topic, Ops: []config.Op{set("segment.ms", "5000"),
			{Name: "cleanup.policy", Type: config.OpAppend, Value: "compact"}}},
			res: topic, want: map[string]string{"retention.ms": "1000", "cleanup.policy": "delete,compact", "segment.ms": "5000"}},
		{name: "validate only changes nothing", validate: true, alt: AlterConfig{Resource: topic, Ops: []config.Op{{Name: "retention.ms", Type: config.OpDelete}}},
			res: topic, want: map[string]string{"retention.ms": "1000", "cleanup.policy": "delete,compact", "segment.ms": "5000"}},
		{name: "subtract and delete", alt: AlterConfig{Resource: topic, Ops: []config.Op{{Name: "cleanup.policy", Type: config.OpSubtract, Value: "delete"},
			{Name: "segment.ms", Type: config.OpDelete}}},
			res: topic, want: map[string]string{"retention.ms": "1000", "cleanup.policy": "compact"}},
		{name: "replace drops the rest", alt: AlterConfig{Resource: topic, Replace: true, Set: map[string]string{"max.message.bytes": "100"}},
			res: topic, want: map[string]string{"max.message.bytes": "100"}},
		{name: "unknown topic config", alt: AlterConfig{Resource: topic, Ops: []config.Op{set("retention.msx", "1")}},
			wantErr: ErrInvalidConfig, wantMsg: "Unknown topic config name: retention.msx", res: topic, want: map[string]string{"max.message.bytes": "100"}},
		{name: "bad value", alt: AlterConfig{Resource: topic, Ops: []config.Op{set("retention.ms", "-5")}},
			wantErr: ErrInvalidConfig, wantMsg: "at least -1", res: topic, want: map[string]string{"max.message.bytes": "100"}},
		{name: "append to a non-list", alt: AlterConfig{Resource: topic, Ops: []config.Op{{Name: "retention.ms", Type: config.OpAppend, Value: "1"}}},
			wantErr: ErrInvalidConfig, wantMsg: "Can't APPEND to key retention.ms because its type is not LIST.", res: topic, want: map[string]string{"max.message.bytes": "100"}},
		{name: "unknown topic", alt: AlterConfig{Resource: metadata.ConfigResource{Type: metadata.TopicResource, Name: "nope"}},
			wantErr: ErrUnknownTopic, wantMsg: "The topic 'nope' does not exist."},
		{name: "cluster default", alt: AlterConfig{Resource: def, Ops: []config.Op{set("log.retention.ms", "60000")}},
			res: def, want: map[string]string{"log.retention.ms": "60000"}},
		{name: "read-only broker config", alt: AlterConfig{Resource: def, Ops: []config.Op{set("node.id", "3"), set("log.dirs", "/x")}},
			wantErr: ErrInvalidConfig, wantMsg: "Cannot update these configs dynamically: [log.dirs, node.id]", res: def, want: map[string]string{"log.retention.ms": "60000"}},
		{name: "per-broker config at cluster level", alt: AlterConfig{Resource: def, Ops: []config.Op{set("listener.security.protocol.map", "A:PLAINTEXT")}},
			wantErr: ErrInvalidConfig, res: def, want: map[string]string{"log.retention.ms": "60000"}},
		{name: "one broker", alt: AlterConfig{Resource: b1, Ops: []config.Op{set("min.insync.replicas", "2")}},
			res: b1, want: map[string]string{"min.insync.replicas": "2"}},
		{name: "unknown broker config", alt: AlterConfig{Resource: b1, Ops: []config.Op{set("no.such", "1")}},
			wantErr: ErrInvalidConfig, wantMsg: "Unknown broker config name: no.such"},
		{name: "bad broker name", alt: AlterConfig{Resource: metadata.ConfigResource{Type: metadata.BrokerResource, Name: "x"}},
			wantErr: ErrInvalidRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.AlterConfigs(ctx, []AlterConfig{tc.alt}, tc.validate)[0]
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) || !strings.Contains(ErrorMessage(err), tc.wantMsg) {
				t.Fatalf("err = %v, want %v with %q", err, tc.wantErr, tc.wantMsg)
			}
			if tc.want == nil {
				return
			}
			if d := cmp.Diff(tc.want, c.Image().Configs[tc.res]); d != "" {
				t.Errorf("configs (-want +got):\n%s", d)
			}
		})
	}
}

// One request, one metadata entry: the valid resources commit together and
// an invalid one does not stop them.
func TestAlterConfigsOneEntry(t *testing.T) {
	c := start(t, testOptions(t.TempDir()))
	ctx := context.Background()
	before := c.Image().Offset
	errs := c.AlterConfigs(ctx, []AlterConfig{
		{Resource: metadata.ConfigResource{Type: metadata.BrokerResource}, Ops: []config.Op{{Name: "message.max.bytes", Value: "2000"}}},
		{Resource: metadata.ConfigResource{Type: metadata.TopicResource, Name: "missing"}},
		{Resource: metadata.ConfigResource{Type: metadata.BrokerResource, Name: "1"}, Ops: []config.Op{{Name: "log.segment.bytes", Value: "100000"}}},
	}, false)
	if errs[0] != nil || !errors.Is(errs[1], ErrUnknownTopic) || errs[2] != nil {
		t.Fatalf("errs = %v", errs)
	}
	im := c.Image()
	if im.Offset != before+1 {
		t.Errorf("metadata offset %d → %d, want one entry", before, im.Offset)
	}
	if im.Configs[metadata.ConfigResource{Type: metadata.BrokerResource}]["message.max.bytes"] != "2000" ||
		im.Configs[metadata.ConfigResource{Type: metadata.BrokerResource, Name: "1"}]["log.segment.bytes"] != "100000" {
		t.Errorf("configs = %v", im.Configs)
	}
}
