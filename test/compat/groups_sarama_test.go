package compat

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// saramaHandler hands every claimed message to out as "partition/offset value"
// and marks it consumed, so the session's offset manager commits it.
type saramaHandler struct{ out chan<- string }

func (saramaHandler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (saramaHandler) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (h saramaHandler) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for {
		select {
		case m, ok := <-c.Messages():
			if !ok {
				return nil
			}
			s.MarkMessage(m, "")
			select {
			case h.out <- recordLine(m.Partition, m.Offset, string(m.Value)):
			case <-s.Context().Done():
				return nil
			}
		case <-s.Context().Done():
			return nil
		}
	}
}

// saramaGroupRead joins group with a sarama ConsumerGroup, runs Consume with
// saramaHandler until n messages arrived, and closes the group, which commits
// the marked offsets.
func saramaGroupRead(t *testing.T, group, topic string, n int) []string {
	t.Helper()
	cfg := saramaConfig(sarama.DefaultVersion)
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Offsets.AutoCommit.Interval = 100 * time.Millisecond
	cfg.Consumer.Group.Session.Timeout = 10 * time.Second
	cfg.Consumer.Group.Heartbeat.Interval = 500 * time.Millisecond
	cfg.Consumer.Group.Rebalance.Timeout = 10 * time.Second
	cfg.Consumer.MaxWaitTime = 250 * time.Millisecond
	cg, err := sarama.NewConsumerGroup([]string{brokerAddr}, group, cfg)
	if err != nil {
		t.Fatalf("NewConsumerGroup: %v", err)
	}
	closed := false
	defer func() {
		if !closed {
			_ = cg.Close()
		}
	}()

	var mu sync.Mutex
	var errs []error // from Consume and cg.Errors()
	addErr := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err)
	}
	go func() {
		for err := range cg.Errors() {
			addErr(err)
		}
	}()
	out := make(chan string, 4*n)
	ctx, cancel := context.WithCancel(scenarioContext(t))
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Consume returns at the end of every session (a rebalance); call it again.
		for ctx.Err() == nil {
			if err := cg.Consume(ctx, []string{topic}, saramaHandler{out}); err != nil && !errors.Is(err, context.Canceled) {
				addErr(fmt.Errorf("Consume: %w", err))
				if errors.Is(err, sarama.ErrClosedConsumerGroup) {
					return
				}
			}
		}
	}()

	var got []string
	for len(got) < n {
		select {
		case l := <-out:
			got = append(got, l)
		case <-scenarioContext(t).Done():
			cancel()
			<-done
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("ConsumerGroup %s read %d of %d messages: %q; errors: %v", group, len(got), n, got, errs)
		}
	}
	cancel()
	<-done
	closed = true
	if err := cg.Close(); err != nil {
		t.Fatalf("ConsumerGroup.Close (commits marked offsets): %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(errs) > 0 {
		t.Fatalf("ConsumerGroup %s errors: %v", group, errs)
	}
	return got
}

func TestSaramaGroups(t *testing.T) {
	var topic, group string
	var first map[int32][]string
	scenario(t, clientSarama, groupConsume, func(t *testing.T) {
		needGroups(t)
		topic, group = topicName(t), groupName(t, "")
		createTopic(t, scenarioContext(t), topic, 2)
		first = produceSpread(t, topic, 2, 5, "a")
		samePerPartition(t, "ConsumerGroup.Consume", saramaGroupRead(t, group, topic, 10), first)
		requireCommitted(t, group, topic, ends(first))
	})

	scenario(t, clientSarama, groupResume, func(t *testing.T) {
		needGroups(t)
		if first == nil {
			t.Fatal("the first ConsumerGroup (group consume) failed; nothing to resume")
		}
		second := produceSpread(t, topic, 2, 3, "b")
		samePerPartition(t, "restarted ConsumerGroup", saramaGroupRead(t, group, topic, 6), second)
		requireCommitted(t, group, topic, ends(concat(first, second)))
	})
}
