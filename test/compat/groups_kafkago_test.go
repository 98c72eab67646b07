package compat

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// kafkaGoGroupRead reads n messages of topic with a kafka-go Reader in group
// (CommitInterval 0: ReadMessage commits each message synchronously) and
// closes it, which leaves the group. Returns "partition/offset value" lines.
func kafkaGoGroupRead(t *testing.T, group, topic string, n int) []string {
	t.Helper()
	// kafka-go logs group errors (join, sync, heartbeat, commit) rather than
	// returning them; keep them for the failure message.
	var mu sync.Mutex
	var logged []string
	logf := kafka.LoggerFunc(func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		logged = append(logged, fmt.Sprintf(format, args...))
	})
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers: []string{brokerAddr}, GroupID: group, Topic: topic,
		StartOffset: kafka.FirstOffset, CommitInterval: 0,
		HeartbeatInterval: 500 * time.Millisecond, SessionTimeout: 10 * time.Second,
		RebalanceTimeout: 10 * time.Second, JoinGroupBackoff: 200 * time.Millisecond,
		MinBytes: 1, MaxBytes: 1 << 20, MaxWait: 100 * time.Millisecond,
		ReadBackoffMin: 50 * time.Millisecond, ReadBackoffMax: 200 * time.Millisecond,
		ErrorLogger: logf,
	})
	defer r.Close()
	var got []string
	for len(got) < n {
		m, err := r.ReadMessage(scenarioContext(t))
		if err != nil {
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("Reader{GroupID: %s}.ReadMessage after %d of %d: %v\nread: %q\nkafka-go error log:\n%s",
				group, len(got), n, err, got, tail(strings.Join(logged, "\n"), 20))
		}
		got = append(got, recordLine(int32(m.Partition), m.Offset, string(m.Value)))
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Reader.Close (leaves %s): %v", group, err)
	}
	return got
}

func TestKafkaGoGroups(t *testing.T) {
	var topic, group string
	var first map[int32][]string
	scenario(t, clientKafkaGo, groupConsume, func(t *testing.T) {
		needGroups(t)
		topic, group = topicName(t), groupName(t, "")
		createTopic(t, scenarioContext(t), topic, 2)
		first = produceSpread(t, topic, 2, 5, "a")
		samePerPartition(t, "Reader with GroupID", kafkaGoGroupRead(t, group, topic, 10), first)
		requireCommitted(t, group, topic, ends(first))
	})

	scenario(t, clientKafkaGo, groupResume, func(t *testing.T) {
		needGroups(t)
		if first == nil {
			t.Fatal("the first Reader (group consume) failed; nothing to resume")
		}
		second := produceSpread(t, topic, 2, 3, "b")
		samePerPartition(t, "new Reader, same GroupID", kafkaGoGroupRead(t, group, topic, 6), second)
		requireCommitted(t, group, topic, ends(concat(first, second)))
	})
}
