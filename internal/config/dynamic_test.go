package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDynamicLayers(t *testing.T) {
	b, err := New(map[string]string{"log.segment.bytes": "2000", "min.insync.replicas": "2", "log.retention.hours": "5"})
	if err != nil {
		t.Fatal(err)
	}
	d := b.Dynamic(
		map[string]string{"log.segment.bytes": "4000"},
		map[string]string{"log.segment.bytes": "3000", "log.retention.ms": "60000", "message.max.bytes": "500"})
	for _, tc := range []struct {
		topicConfig string
		overrides   map[string]string
		value       string
		src         Source
		syns        []Synonym
	}{
		{"segment.bytes", nil, "4000", SourceDynamicBroker, []Synonym{
			{"log.segment.bytes", "4000", SourceDynamicBroker},
			{"log.segment.bytes", "3000", SourceDynamicDefaultBroker},
			{"log.segment.bytes", "2000", SourceStaticBroker},
			{"log.segment.bytes", "1073741824", SourceDefault}}},
		{"segment.bytes", map[string]string{"segment.bytes": "9000"}, "9000", SourceDynamicTopic, []Synonym{
			{"segment.bytes", "9000", SourceDynamicTopic},
			{"log.segment.bytes", "4000", SourceDynamicBroker},
			{"log.segment.bytes", "3000", SourceDynamicDefaultBroker},
			{"log.segment.bytes", "2000", SourceStaticBroker},
			{"log.segment.bytes", "1073741824", SourceDefault}}},
		// log.retention.ms beats a static log.retention.hours: Kafka
		// resolves each name through every layer first.
		{"retention.ms", nil, "60000", SourceDynamicDefaultBroker, []Synonym{
			{"log.retention.ms", "60000", SourceDynamicDefaultBroker},
			{"log.retention.hours", "5", SourceStaticBroker},
			{"log.retention.hours", "168", SourceDefault}}},
		{"max.message.bytes", nil, "500", SourceDynamicDefaultBroker, []Synonym{
			{"message.max.bytes", "500", SourceDynamicDefaultBroker},
			{"message.max.bytes", "1048588", SourceDefault}}},
		{"min.insync.replicas", nil, "2", SourceStaticBroker, []Synonym{
			{"min.insync.replicas", "2", SourceStaticBroker},
			{"min.insync.replicas", "1", SourceDefault}}},
		{"segment.ms", nil, "604800000", SourceDefault, nil}, // from log.roll.hours, reported like Kafka without synonyms
	} {
		v, src, syns := d.TopicValue(tc.topicConfig, tc.overrides)
		if v != tc.value || src != tc.src {
			t.Errorf("%s %v: %s (source %d), want %s (%d)", tc.topicConfig, tc.overrides, v, src, tc.value, tc.src)
		}
		if diff := cmp.Diff(tc.syns, syns); diff != "" {
			t.Errorf("%s %v synonyms (-want +got)\n%s", tc.topicConfig, tc.overrides, diff)
		}
	}
	if d.Int("log.segment.bytes") != 4000 || b.Int("log.segment.bytes") != 2000 {
		t.Errorf("Int: dynamic %d static %d", d.Int("log.segment.bytes"), b.Int("log.segment.bytes"))
	}
	// The hours fallback: no log.retention.ms anywhere.
	if v, ok := b.Dynamic(nil, nil).Derived("log.retention.ms"); !ok || v != "18000000" {
		t.Errorf("log.retention.ms from log.retention.hours=5: %s %v", v, ok)
	}
	if v, src, syns, ok := d.BrokerValue("log.retention.hours"); !ok || v != "5" || src != SourceStaticBroker || len(syns) != 2 {
		t.Errorf("BrokerValue(log.retention.hours) = %s %d %v %v", v, src, syns, ok)
	}
	if _, _, _, ok := b.Dynamic(nil, nil).BrokerValue("log.retention.ms"); ok {
		t.Error("an unset config without default must have no value")
	}
}
