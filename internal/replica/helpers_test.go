package replica

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/record"
	"github.com/strom-project/strom/internal/storage"
	"github.com/strom-project/strom/internal/testutil"
)

func testutilWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testutil.WaitUntil(t, 10*time.Second, what, cond)
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// fakeClock is the shared test clock.
type fakeClock = testutil.Clock

func newClock() *fakeClock { return testutil.NewClock() }

// alterCall is one AlterPartition the manager made; the test answers it.
type alterCall struct {
	leaderEpoch, partitionEpoch int32
	isr                         []int32
	reply                       chan alterReply
}

type alterReply struct {
	st  *metadata.Partition
	err error
}

// fakeController records AlterPartition calls for the test to answer.
type fakeController struct{ calls chan alterCall }

func (f *fakeController) alter(ctx context.Context, _ metadata.Uuid, _, leaderEpoch, partitionEpoch int32, isr []int32) (*metadata.Partition, error) {
	c := alterCall{leaderEpoch: leaderEpoch, partitionEpoch: partitionEpoch, isr: isr, reply: make(chan alterReply, 1)}
	select {
	case f.calls <- c:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case r := <-c.reply:
		return r.st, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// next returns the next AlterPartition call.
func (f *fakeController) next(t *testing.T) alterCall {
	t.Helper()
	select {
	case c := <-f.calls:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no AlterPartition call")
		return alterCall{}
	}
}

// none checks no AlterPartition call is waiting.
func (f *fakeController) none(t *testing.T) {
	t.Helper()
	select {
	case c := <-f.calls:
		t.Fatalf("unexpected AlterPartition %v", c.isr)
	default:
	}
}

const testTopic = "t"

var testTopicID = metadata.Uuid{7}

// harness is one replica manager with real logs, a fake clock and a fake
// controller; the test plays the metadata publisher.
type harness struct {
	t     *testing.T
	m     *Manager
	logs  *storage.Manager
	clock *fakeClock
	ctrl  *fakeController
	im    *metadata.Image
}

func newHarness(t *testing.T, nodeID int32, overrides ...string) *harness {
	t.Helper()
	dir := t.TempDir()
	cfg, err := config.Load("", append([]string{fmt.Sprintf("node.id=%d", nodeID), "log.dirs=" + dir}, overrides...))
	if err != nil {
		t.Fatal(err)
	}
	logs, err := storage.NewManager([]string{dir}, quiet, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, logs: logs, clock: newClock(), ctrl: &fakeController{calls: make(chan alterCall, 16)}}
	h.m = NewManager(Options{NodeID: nodeID, Config: cfg, Logs: logs, Logger: quiet, Now: h.clock.Now,
		AlterPartition: h.ctrl.alter, ShrinkCheckInterval: time.Hour})
	t.Cleanup(func() {
		h.m.Close()
		logs.Close()
	})
	return h
}

// apply publishes partition 0 of the test topic with this state, brokers
// 1..5 registered and unfenced, and the given topic configs.
func (h *harness) apply(st metadata.Partition, topicConfigs map[string]string) *Partition {
	h.t.Helper()
	im := metadata.NewImage()
	for id := int32(1); id <= 5; id++ {
		im.Brokers[id] = &metadata.Broker{ID: id, Epoch: 100 + int64(id)}
	}
	tp := &metadata.Topic{Name: testTopic, ID: testTopicID, Partitions: []*metadata.Partition{&st}}
	im.Topics[testTopic], im.TopicsByID[testTopicID] = tp, tp
	if topicConfigs != nil {
		im.Configs[metadata.ConfigResource{Type: metadata.TopicResource, Name: testTopic}] = topicConfigs
	}
	prev := h.im
	h.im = im
	h.m.Apply(prev, im)
	p, err := h.m.Partition(testTopic, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

// batch builds a client batch of n records whose values name tag.
func batch(t testing.TB, n int, tag string) []byte {
	t.Helper()
	recs := make([]record.NewRecord, n)
	for i := range recs {
		recs[i] = record.NewRecord{TimestampDelta: int64(i), Value: []byte(fmt.Sprintf("%s-%d", tag, i))}
	}
	b, err := record.Build(nil, record.BatchSpec{BaseTimestamp: time.Now().UnixMilli(), ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustAppend(t *testing.T, p *Partition, n int, acks int16) AppendResult {
	t.Helper()
	res, err := p.Append(batch(t, n, "v"), acks)
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	return res
}

func wantHW(t *testing.T, p *Partition, want int64) {
	t.Helper()
	if got := p.Log.HighWatermark(); got != want {
		t.Fatalf("high watermark %d, want %d (LEO %d)", got, want, p.Log.LogEndOffset())
	}
}

func wantISR(t *testing.T, p *Partition, want ...int32) {
	t.Helper()
	if got := p.State().ISR; !slices.Equal(got, want) {
		t.Fatalf("ISR %v, want %v", got, want)
	}
}

// logBytes reads every batch from offset from to the log end.
func logBytes(t testing.TB, l *storage.Log, from int64) []byte {
	t.Helper()
	var out []byte
	for off := from; off < l.LogEndOffset(); {
		rr, err := l.Read(off, 1<<20, true, l.LogEndOffset())
		if err != nil {
			t.Fatalf("read %s at %d: %v", l.Dir(), off, err)
		}
		if len(rr.Records) == 0 {
			t.Fatalf("read %s at %d: nothing below the log end %d", l.Dir(), off, l.LogEndOffset())
		}
		out = append(out, rr.Records...)
		it := record.Iter{Buf: rr.Records}
		for it.Next() {
			off = it.Header.NextOffset()
		}
	}
	return out
}

func sameLogs(t testing.TB, a, b *storage.Log, from int64) {
	t.Helper()
	if a.LogEndOffset() != b.LogEndOffset() {
		t.Fatalf("log ends differ: %d vs %d", a.LogEndOffset(), b.LogEndOffset())
	}
	if !bytes.Equal(logBytes(t, a, from), logBytes(t, b, from)) {
		t.Fatalf("logs differ from offset %d", from)
	}
}
