package durability

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/strom-project/strom/internal/testutil"
	"github.com/strom-project/strom/internal/testutil/topiclog"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strom-project/strom/internal/teststrom"
)

// Bounds for the steps of a test; nothing here waits by sleeping.
const (
	readyTimeout   = 60 * time.Second // broker answering, partitions readable
	produceTimeout = 3 * time.Minute  // one producer session reaching its acks
	readTimeout    = 2 * time.Minute  // reading a whole topic back
	closeTimeout   = 30 * time.Second // a franz-go client closing
)

func TestMain(m *testing.M) {
	if os.Getenv(memberEnv) == "1" { // a consumer-group member process (groups_member_test.go)
		os.Exit(runMember())
	}
	code := m.Run()
	teststrom.RemoveBinary()
	os.Exit(code)
}

// startBroker starts a broker with a fresh data directory and the given
// overrides. When t ends the broker is killed if still running, and a race
// report in its log fails t.
func startBroker(t *testing.T, overrides ...string) *teststrom.Broker {
	t.Helper()
	if _, err := teststrom.Build(t.Context()); err != nil {
		t.Fatalf("building strom: %v", err)
	}
	b, err := teststrom.Start(teststrom.Options{Dir: t.TempDir(), Overrides: overrides})
	if err != nil {
		t.Fatalf("starting strom: %v", err)
	}
	t.Cleanup(func() {
		_ = b.Kill() // an error only says it is not running any more
		if b.LogContains("WARNING: DATA RACE") {
			t.Errorf("the race detector fired in strom\n%s", b.LogTail(200))
		} else if t.Failed() {
			t.Log(b.LogTail(60))
		}
	})
	return b
}

// restart restarts b after Kill or Stop and returns how long it took to
// answer again.
func restart(t *testing.T, b *teststrom.Broker) time.Duration {
	t.Helper()
	start := time.Now()
	if err := b.Restart(); err != nil {
		t.Fatalf("restart: %v", err)
	}
	return time.Since(start)
}

// waitFor polls cond until it returns nil, failing t with cond's last error if
// that takes longer than timeout.
func waitFor(t *testing.T, timeout time.Duration, cond func() error) {
	t.Helper()
	testutil.WaitFor(t, timeout, cond)
}

// poll is waitFor for callers that must clean up before failing.
func poll(timeout time.Duration, cond func() error) error { return testutil.Poll(timeout, cond) }

// partitions is the partition count of every test topic.
const partitions int32 = 3

// createTopic creates a 3-partition topic named after t and waits until the
// broker lists offsets for every partition.
func createTopic(t *testing.T, b *teststrom.Broker) string {
	t.Helper()
	return createTopicN(t, b, partitions)
}

// createTopicN is createTopic with n partitions.
func createTopicN(t *testing.T, b *teststrom.Broker, partitions int32) string {
	t.Helper()
	topic := "durability-" + strings.NewReplacer("/", "-", "_", "-").Replace(strings.ToLower(t.Name()))
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()))
	if err != nil {
		t.Fatalf("kgo.NewClient: %v", err)
	}
	defer closeClient(t, cl)
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(t.Context(), readyTimeout)
	defer cancel()
	resp, err := adm.CreateTopics(ctx, partitions, 1, nil, topic)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		t.Fatalf("CreateTopics %s: %v", topic, err)
	}
	waitFor(t, readyTimeout, func() error {
		_, err := topiclog.ListOffsets(ctx, adm.ListEndOffsets, topic, partitions)
		return err
	})
	return topic
}
