package group

import (
	"context"
	"errors"
	"github.com/strom-project/strom/internal/testutil"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/controller"
	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/replica"
	"github.com/strom-project/strom/internal/storage"
)

// fixedMetadata is a Metadata whose image the test sets.
type fixedMetadata struct{ im *metadata.Image }

func (f *fixedMetadata) Image() *metadata.Image { return f.im }
func (f *fixedMetadata) CreateInternalTopic(context.Context, controller.CreateTopic) controller.CreateTopicResult {
	return controller.CreateTopicResult{Err: errors.New("not in this test")}
}

// offsetsImage has a one-partition __consumer_offsets (every group maps to
// partition 0) replicated on node 1 and led by leader.
func offsetsImage(leader, epoch int32) *metadata.Image {
	id := metadata.Uuid{1}
	t := &metadata.Topic{Name: OffsetsTopic, ID: id, Internal: true, Partitions: []*metadata.Partition{
		{Partition: 0, Replicas: []int32{1}, ISR: []int32{1}, Leader: leader, LeaderEpoch: epoch},
	}}
	return &metadata.Image{Topics: map[string]*metadata.Topic{OffsetsTopic: t}, TopicsByID: map[metadata.Uuid]*metadata.Topic{id: t},
		Brokers: map[int32]*metadata.Broker{}, Configs: map[metadata.ConfigResource]map[string]string{}}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testutil.WaitUntil(t, 10*time.Second, what, cond)
}

// TestCoordinatorFollowsLeadership: a shard starts when this node leads
// the partition, answers NOT_COORDINATOR (including to a waiting join)
// when leadership moves, and reloads the partition when it comes back.
func TestCoordinatorFollowsLeadership(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	cfg, err := config.Load("", []string{"log.dirs=" + dir})
	if err != nil {
		t.Fatal(err)
	}
	logs, err := storage.NewManager([]string{dir}, logger, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	replicas := replica.NewManager(replica.Options{NodeID: 1, Config: cfg, Logs: logs, Logger: logger})
	md := &fixedMetadata{}
	gcfg := testConfig()
	gc := New(Options{NodeID: 1, Config: gcfg, Metadata: md, Replicas: replicas, Logger: logger})
	defer gc.Close()
	apply := func(next *metadata.Image) {
		prev := md.im
		md.im = next
		replicas.Apply(prev, next)
		gc.Apply(prev, next)
	}
	ctx := context.Background()

	wantErr(t, "before the topic exists", gc.Heartbeat(ctx, HeartbeatRequest{Group: "g", MemberID: "m"}), ErrNotCoordinator)
	apply(offsetsImage(1, 0))
	if n, err := gc.Locate(ctx, "g"); err != nil || n != 1 {
		t.Fatalf("locate: %d %v", n, err)
	}
	join := consumerJoin("g", "", "t")
	join.RequireKnownMemberID = false
	var jr JoinResult
	waitUntil(t, "the partition to load", func() bool {
		jr = gc.Join(ctx, join)
		return !errors.Is(jr.Err, ErrLoadInProgress)
	})
	if jr.Err != nil {
		t.Fatal(jr.Err)
	}
	sr := gc.Sync(ctx, SyncRequest{Group: "g", Generation: jr.Generation, MemberID: jr.MemberID, Assignments: map[string][]byte{jr.MemberID: []byte("a")}})
	if sr.Err != nil {
		t.Fatal(sr.Err)
	}
	if errs := gc.CommitOffsets(ctx, commitReq("g", jr.MemberID, jr.Generation, co("t", 0, 77))); errs[0] != nil {
		t.Fatal(errs[0])
	}

	// A second member waits for the first to rejoin ...
	waiting := make(chan JoinResult, 1)
	go func() { waiting <- gc.Join(ctx, join) }()
	waitUntil(t, "the rebalance to start", func() bool {
		return errors.Is(gc.Heartbeat(ctx, HeartbeatRequest{Group: "g", MemberID: jr.MemberID, Generation: jr.Generation}), ErrRebalanceInProgress)
	})
	// ... when leadership moves away.
	apply(offsetsImage(2, 1))
	if r := <-waiting; !errors.Is(r.Err, ErrNotCoordinator) {
		t.Fatalf("waiting join after losing leadership: %+v", r)
	}
	if _, err := gc.FetchOffsets(ctx, "g", nil); !errors.Is(err, ErrNotCoordinator) {
		t.Fatalf("fetch after losing leadership: %v", err)
	}

	// Leadership returns: the group and its offsets are loaded from the log.
	apply(offsetsImage(1, 2))
	var offs []OffsetData
	waitUntil(t, "the partition to reload", func() bool {
		offs, err = gc.FetchOffsets(ctx, "g", nil)
		return !errors.Is(err, ErrLoadInProgress)
	})
	if err != nil || len(offs) != 1 || offs[0].Offset != 77 {
		t.Fatalf("offsets after reload: %+v %v", offs, err)
	}
	d, err := gc.DescribeGroup(ctx, "g")
	if err != nil || d.State != "Stable" || len(d.Members) != 1 || string(d.Members[0].Assignment) != "a" {
		t.Fatalf("group after reload: %+v %v", d, err)
	}
	lag, err := gc.Lag(ctx)
	if err != nil || len(lag) != 1 || lag[0].HighWatermark != -1 || lag[0].Committed != 77 {
		t.Fatalf("lag of a partition not hosted here: %+v %v", lag, err)
	}
}
