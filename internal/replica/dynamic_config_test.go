package replica

import (
	"errors"
	"testing"

	"github.com/strom-project/strom/internal/metadata"
)

// TestDynamicBrokerConfigsApplied: a dynamic broker config that is a topic
// config's synonym takes effect on hosted partitions without a restart,
// this broker's own value before the cluster default, and a topic
// override before both.
func TestDynamicBrokerConfigsApplied(t *testing.T) {
	h := newHarness(t, 1, "log.segment.bytes=100000")
	st := metadata.Partition{Replicas: []int32{1, 2}, ISR: []int32{1}, Leader: 1}
	publish := func(topic, clusterDefault, own map[string]string) *Partition {
		t.Helper()
		im := metadata.NewImage()
		for id := int32(1); id <= 2; id++ {
			im.Brokers[id] = &metadata.Broker{ID: id, Epoch: 100 + int64(id)}
		}
		s := st
		tp := &metadata.Topic{Name: testTopic, ID: testTopicID, Partitions: []*metadata.Partition{&s}}
		im.Topics[testTopic], im.TopicsByID[testTopicID] = tp, tp
		for r, m := range map[metadata.ConfigResource]map[string]string{
			{Type: metadata.TopicResource, Name: testTopic}: topic,
			{Type: metadata.BrokerResource}:                 clusterDefault,
			{Type: metadata.BrokerResource, Name: "1"}:      own,
			{Type: metadata.BrokerResource, Name: "2"}:      {"log.segment.bytes": "999999"}, // another broker's: ignored here
		} {
			if m != nil {
				im.Configs[r] = m
			}
		}
		prev := h.im
		h.im = im
		h.m.Apply(prev, im)
		p, err := h.m.Partition(testTopic, 0)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := publish(nil, nil, nil)
	if got := p.Log.Config().SegmentBytes; got != 100000 {
		t.Fatalf("static log.segment.bytes: %d", got)
	}
	if _, err := p.Append(batch(t, 1, "a"), -1); err != nil {
		t.Fatalf("acks=all with min.insync.replicas=1: %v", err)
	}
	for _, step := range []struct {
		name                       string
		topic, clusterDefault, own map[string]string
		segmentBytes               int64
		notEnoughReplicas          bool
	}{
		{"cluster default", nil, map[string]string{"log.segment.bytes": "200000", "min.insync.replicas": "2"}, nil, 200000, true},
		{"this broker first", nil, map[string]string{"log.segment.bytes": "200000", "min.insync.replicas": "2"},
			map[string]string{"log.segment.bytes": "300000"}, 300000, true},
		{"topic override first", map[string]string{"segment.bytes": "400000", "min.insync.replicas": "1"},
			map[string]string{"log.segment.bytes": "200000", "min.insync.replicas": "2"}, map[string]string{"log.segment.bytes": "300000"}, 400000, false},
		{"deleted again", nil, nil, nil, 100000, false},
	} {
		p := publish(step.topic, step.clusterDefault, step.own)
		if got := p.Log.Config().SegmentBytes; got != step.segmentBytes {
			t.Errorf("%s: segment.bytes %d, want %d", step.name, got, step.segmentBytes)
		}
		_, err := p.Append(batch(t, 1, "x"), -1)
		if errors.Is(err, ErrNotEnoughReplicas) != step.notEnoughReplicas {
			t.Errorf("%s: acks=all with ISR [1]: %v, want NOT_ENOUGH_REPLICAS %v", step.name, err, step.notEnoughReplicas)
		}
	}
}
