package replica_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/api"
	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/network"
	"github.com/strom-project/strom/internal/record"
	"github.com/strom-project/strom/internal/replica"
	"github.com/strom-project/strom/internal/storage"
	"github.com/strom-project/strom/internal/testutil"
	"github.com/strom-project/strom/internal/wire"
)

// The in-process cluster: each node is a replica manager behind a real API
// handler set on a real TCP listener, as internal/broker wires them; the
// test plays the controller, publishing images to every live node in order
// and answering AlterPartition by publishing the new ISR.

const (
	topic     = "rep"
	waitLimit = 20 * time.Second
)

var topicID = metadata.Uuid{42}

type node struct {
	id   int32
	logs *storage.Manager
	rm   *replica.Manager
	srv  *network.Server
	addr string
	last *metadata.Image // last image applied
}

type cluster struct {
	t         *testing.T
	overrides []string
	dirs      map[int32]string

	mu          sync.Mutex // serialises publishing: every node sees images in order
	im          *metadata.Image
	nodes       map[int32]*node
	brokerEpoch int64
}

func newCluster(t *testing.T, overrides ...string) *cluster {
	return &cluster{t: t, overrides: overrides, dirs: map[int32]string{}, nodes: map[int32]*node{}, im: metadata.NewImage()}
}

func logger(t *testing.T, id int32) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})).With("node", id)
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// start runs node id (again, on the same log dir) and registers its new
// endpoint with a new broker epoch.
func (c *cluster) start(id int32) *node {
	t := c.t
	t.Helper()
	if c.dirs[id] == "" {
		c.dirs[id] = t.TempDir()
		t.Cleanup(func() { c.stop(id) }) // before the directory goes
	}
	cfg, err := config.Load("", append([]string{fmt.Sprintf("node.id=%d", id), "log.dirs=" + c.dirs[id],
		"listeners=PLAINTEXT://127.0.0.1:0"}, c.overrides...))
	if err != nil {
		t.Fatal(err)
	}
	lg := logger(t, id)
	logs, err := storage.NewManagerWithOptions(cfg.LogDirs, storage.ManagerOptions{Logger: lg, HighWatermarkCheckpointInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	n := &node{id: id, logs: logs}
	n.rm = replica.NewManager(replica.Options{NodeID: id, Config: cfg, Logs: logs, Logger: lg, AlterPartition: c.alterPartition(id)})
	reg := wire.NewRegistry()
	api.Register(reg, &api.Handlers{NodeID: id, Config: cfg, Replicas: n.rm, Logger: lg})
	n.srv = network.New(network.Options{Registry: reg, MaxRequestBytes: cfg.SocketRequestMaxBytes, Logger: lg})
	addr, err := n.srv.Listen("PLAINTEXT", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs.Start()
	n.addr = addr.String()
	c.mu.Lock()
	c.nodes[id] = n
	c.mu.Unlock()
	tcp := addr.(*net.TCPAddr)
	c.publish(func(im *metadata.Image) {
		c.brokerEpoch++
		im.Brokers[id] = &metadata.Broker{ID: id, Epoch: c.brokerEpoch,
			Endpoints: []metadata.Endpoint{{Listener: "PLAINTEXT", SecurityProtocol: "PLAINTEXT", Host: "127.0.0.1", Port: int32(tcp.Port)}}}
	})
	return n
}

// stop closes node id as the broker does: listeners, replication, logs.
func (c *cluster) stop(id int32) {
	c.mu.Lock()
	n := c.nodes[id]
	delete(c.nodes, id)
	c.mu.Unlock()
	if n == nil {
		return
	}
	n.srv.Close()
	n.rm.Close()
	if err := n.logs.Close(); err != nil {
		c.t.Errorf("closing node %d logs: %v", id, err)
	}
}

func cloneImage(im *metadata.Image) *metadata.Image {
	next := metadata.NewImage()
	next.Offset, next.ClusterID = im.Offset+1, im.ClusterID
	for id, b := range im.Brokers {
		cp := *b
		next.Brokers[id] = &cp
	}
	for name, t := range im.Topics {
		ct := *t
		ct.Partitions = nil
		for _, p := range t.Partitions {
			cp := *p
			cp.Replicas, cp.ISR = slices.Clone(p.Replicas), slices.Clone(p.ISR)
			ct.Partitions = append(ct.Partitions, &cp)
		}
		next.Topics[name], next.TopicsByID[t.ID] = &ct, &ct
	}
	for r, cfg := range im.Configs {
		next.Configs[r] = maps.Clone(cfg)
	}
	return next
}

func (c *cluster) publish(mutate func(im *metadata.Image)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.publishLocked(mutate)
}

func (c *cluster) publishLocked(mutate func(im *metadata.Image)) {
	next := cloneImage(c.im)
	mutate(next)
	c.im = next
	for _, id := range slices.Sorted(maps.Keys(c.nodes)) {
		n := c.nodes[id]
		n.rm.Apply(n.last, next)
		n.last = next
	}
}

// setPartition publishes the partition's new placement with the next
// partition epoch (and leader epoch when the leader changes).
func (c *cluster) setPartition(leader int32, isr []int32, replicas []int32, configs map[string]string) {
	c.publish(func(im *metadata.Image) {
		t := im.Topics[topic]
		if t == nil {
			t = &metadata.Topic{Name: topic, ID: topicID, Partitions: []*metadata.Partition{{Leader: -1, LeaderEpoch: -1, PartitionEpoch: -1}}}
			im.Topics[topic], im.TopicsByID[topicID] = t, t
		}
		p := t.Partitions[0]
		if p.Leader != leader {
			p.LeaderEpoch++
		}
		p.Leader, p.ISR, p.Replicas = leader, isr, replicas
		p.PartitionEpoch++
		if configs != nil {
			im.Configs[metadata.ConfigResource{Type: metadata.TopicResource, Name: topic}] = configs
		}
	})
}

func (c *cluster) partitionState() metadata.Partition {
	c.mu.Lock()
	defer c.mu.Unlock()
	return *c.im.Topics[topic].Partitions[0]
}

// alterPartition is the controller's AlterPartition for node id: it checks
// the proposer leads at the current epochs, then commits the new ISR.
func (c *cluster) alterPartition(id int32) replica.AlterPartitionFunc {
	return func(_ context.Context, tid metadata.Uuid, part, leaderEpoch, partitionEpoch int32, isr []int32) (*metadata.Partition, error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		p := c.im.TopicsByID[tid].Partitions[part]
		switch {
		case p.Leader != id || p.LeaderEpoch != leaderEpoch:
			return nil, kerr.FencedLeaderEpoch
		case p.PartitionEpoch != partitionEpoch:
			return nil, kerr.InvalidUpdateVersion
		}
		var out metadata.Partition
		c.publishLocked(func(im *metadata.Image) {
			np := im.TopicsByID[tid].Partitions[part]
			np.ISR = slices.Clone(isr)
			np.PartitionEpoch++
			out = *np
		})
		return &out, nil
	}
}

func (c *cluster) node(id int32) *node {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[id]
}

func (c *cluster) log(id int32) *storage.Log {
	p, err := c.node(id).rm.Partition(topic, 0)
	if err != nil {
		c.t.Fatalf("node %d: %v", id, err)
	}
	return p.Log
}

func (c *cluster) waitISR(want ...int32) {
	c.t.Helper()
	testutil.WaitFor(c.t, waitLimit, func() error {
		if got := c.partitionState().ISR; !slices.Equal(got, want) {
			return fmt.Errorf("ISR %v, want %v", got, want)
		}
		return nil
	})
}

// client is a raw Kafka connection to a node.
func client(t *testing.T, n *node) *wire.Client {
	cl := wire.NewClient(n.addr, "replication-test")
	t.Cleanup(func() { cl.Close() })
	return cl
}

var batchSeq int

func produce(t *testing.T, cl *wire.Client, acks int16, timeout time.Duration, n int) (kmsg.ProduceResponseTopicPartition, error) {
	t.Helper()
	batchSeq++
	recs := make([]record.NewRecord, n)
	for i := range recs {
		recs[i] = record.NewRecord{Value: []byte(fmt.Sprintf("b%d-r%d", batchSeq, i))}
	}
	b, err := record.Build(nil, record.BatchSpec{BaseTimestamp: time.Now().UnixMilli(), ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	req := kmsg.NewPtrProduceRequest()
	req.Version, req.Acks, req.TimeoutMillis = 9, acks, int32(timeout/time.Millisecond)
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = b
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	ctx, cancel := context.WithTimeout(context.Background(), timeout+waitLimit)
	defer cancel()
	resp, err := cl.Do(ctx, req)
	if err != nil {
		t.Fatalf("produce: %v", err)
	}
	sp := resp.(*kmsg.ProduceResponse).Topics[0].Partitions[0]
	return sp, kerr.ErrorForCode(sp.ErrorCode)
}

func mustProduce(t *testing.T, cl *wire.Client, acks int16, n int) kmsg.ProduceResponseTopicPartition {
	t.Helper()
	sp, err := produce(t, cl, acks, 10*time.Second, n)
	if err != nil {
		t.Fatalf("produce acks=%d: %v", acks, err)
	}
	return sp
}

// consumerFetch long-polls node's partition from offset as a consumer.
func consumerFetch(t *testing.T, cl *wire.Client, offset int64, maxWait time.Duration) kmsg.FetchResponseTopicPartition {
	t.Helper()
	req := kmsg.NewPtrFetchRequest()
	req.Version, req.ReplicaID = 11, -1
	req.MaxWaitMillis, req.MinBytes, req.MaxBytes = int32(maxWait/time.Millisecond), 1, 1<<20
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.FetchOffset, rp.PartitionMaxBytes = offset, 1<<20
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := cl.Do(context.Background(), req)
	if err != nil {
		t.Errorf("fetch: %v", err)
		return kmsg.FetchResponseTopicPartition{}
	}
	return resp.(*kmsg.FetchResponse).Topics[0].Partitions[0]
}

func waitSameLogs(t *testing.T, c *cluster, ids ...int32) {
	t.Helper()
	testutil.WaitFor(t, waitLimit, func() error {
		want := c.log(ids[0]).LogEndOffset()
		for _, id := range ids[1:] {
			if got := c.log(id).LogEndOffset(); got != want {
				return fmt.Errorf("node %d log end %d, node %d %d", id, got, ids[0], want)
			}
		}
		return nil
	})
	want := readLog(t, c.log(ids[0]))
	for _, id := range ids[1:] {
		if !bytes.Equal(readLog(t, c.log(id)), want) {
			t.Fatalf("node %d's log differs from node %d's", id, ids[0])
		}
	}
}

func readLog(t *testing.T, l *storage.Log) []byte {
	t.Helper()
	var out []byte
	for off := l.LogStartOffset(); off < l.LogEndOffset(); {
		rr, err := l.Read(off, 1<<20, true, l.LogEndOffset())
		if err != nil || len(rr.Records) == 0 {
			t.Fatalf("reading %s at %d: %v", l.Dir(), off, err)
		}
		out = append(out, rr.Records...)
		it := record.Iter{Buf: rr.Records}
		for it.Next() {
			off = it.Header.NextOffset()
		}
	}
	return out
}

// TestReplicationAcksAll: acks=all answers only once every in-sync
// follower has the batch; consumers see data only once the high watermark
// passes it, and a long-polling consumer is woken by the HW moving.
func TestReplicationAcksAll(t *testing.T) {
	c := newCluster(t, "replica.fetch.wait.max.ms=200", "replica.fetch.backoff.ms=50")
	for id := int32(1); id <= 3; id++ {
		c.start(id)
	}
	c.setPartition(1, []int32{1, 2, 3}, []int32{1, 2, 3}, map[string]string{"min.insync.replicas": "2"})
	cl := client(t, c.node(1))
	for i := range 20 {
		sp := mustProduce(t, cl, -1, 1+i%4)
		last := sp.BaseOffset + int64(1+i%4) - 1
		for _, id := range []int32{2, 3} {
			if leo := c.log(id).LogEndOffset(); leo <= last {
				t.Fatalf("batch %d acked at offset %d while node %d's log ends at %d", i, last, id, leo)
			}
		}
		if hw := c.log(1).HighWatermark(); hw <= last {
			t.Fatalf("batch %d acked at offset %d with the HW at %d", i, last, hw)
		}
	}

	// A consumer waiting at the HW is woken when the HW passes new data
	// (not merely by the leader's append).
	hw := c.log(1).HighWatermark()
	got := make(chan kmsg.FetchResponseTopicPartition, 1)
	began := time.Now()
	consumer := client(t, c.node(1))
	go func() { got <- consumerFetch(t, consumer, hw, 15*time.Second) }()
	sp := mustProduce(t, cl, 1, 3)
	r := <-got
	if len(r.RecordBatches) == 0 || r.ErrorCode != 0 {
		t.Fatalf("long poll returned no records (error %d) after %v", r.ErrorCode, time.Since(began))
	}
	if r.HighWatermark < sp.BaseOffset+3 {
		t.Fatalf("consumer saw records below the HW %d", r.HighWatermark)
	}
	if d := time.Since(began); d > 10*time.Second {
		t.Fatalf("long poll took %v: not woken by the HW", d)
	}
	waitSameLogs(t, c, 1, 2, 3)
	testutil.WaitFor(t, waitLimit, func() error {
		for _, id := range []int32{2, 3} {
			if f, l := c.log(id).HighWatermark(), c.log(1).HighWatermark(); f != l {
				return fmt.Errorf("node %d HW %d, leader %d", id, f, l)
			}
		}
		return nil
	})
	if st := c.partitionState(); !slices.Equal(st.ISR, []int32{1, 2, 3}) {
		t.Fatalf("ISR changed without cause: %v", st.ISR)
	}
}

// TestISRShrinkAndExpand: a dead follower leaves the ISR after
// replica.lag.time.max.ms; a write waiting for it then fails with
// NOT_ENOUGH_REPLICAS_AFTER_APPEND and, with min.insync.replicas=2, the
// next is refused (NOT_ENOUGH_REPLICAS). Back, it catches up and rejoins.
func TestISRShrinkAndExpand(t *testing.T) {
	c := newCluster(t, "replica.lag.time.max.ms=500", "replica.fetch.wait.max.ms=100", "replica.fetch.backoff.ms=50")
	c.start(1)
	c.start(2)
	c.setPartition(1, []int32{1, 2}, []int32{1, 2}, map[string]string{"min.insync.replicas": "2"})
	cl := client(t, c.node(1))
	mustProduce(t, cl, -1, 5)

	c.stop(2)
	began := time.Now()
	if _, err := produce(t, cl, -1, 15*time.Second, 1); !errors.Is(err, kerr.NotEnoughReplicasAfterAppend) {
		t.Fatalf("acks=all while the follower dies: %v", err)
	}
	if d := time.Since(began); d < 250*time.Millisecond {
		t.Fatalf("failed after %v, before the lag time", d)
	}
	c.waitISR(1)
	if _, err := produce(t, cl, -1, 5*time.Second, 1); !errors.Is(err, kerr.NotEnoughReplicas) {
		t.Fatalf("acks=all with the ISR below min: %v", err)
	}
	hw := c.log(1).HighWatermark()
	mustProduce(t, cl, 1, 2) // acks=1 is still taken ...
	if got := c.log(1).HighWatermark(); got != hw {
		t.Fatalf("HW moved from %d to %d with the ISR below min.insync.replicas", hw, got)
	}

	c.start(2) // ... and replicated once the follower is back
	c.waitISR(1, 2)
	mustProduce(t, cl, -1, 3)
	waitSameLogs(t, c, 1, 2)
}

// TestLeaderChangeTruncatesDivergedFollower is KIP-101's scenario: a
// follower holds records of the old leader's epoch that the new leader
// never got; it must truncate them, not keep them, and end identical to
// the new leader. The old leader, back as a follower, does the same.
func TestLeaderChangeTruncatesDivergedFollower(t *testing.T) {
	// Long polls far longer than the waits below: followers must learn the
	// HW from the leader answering their stale HW at once (KIP-1166).
	c := newCluster(t, "replica.fetch.wait.max.ms=15000", "replica.fetch.backoff.ms=50")
	for id := int32(1); id <= 3; id++ {
		c.start(id)
	}
	c.setPartition(1, []int32{1, 2, 3}, []int32{1, 2, 3}, nil)
	cl := client(t, c.node(1))
	for range 5 {
		mustProduce(t, cl, -1, 2)
	}
	committed := c.log(1).HighWatermark()
	// Followers learn the HW without waiting out a long poll (KIP-1166).
	testutil.WaitUntil(t, 5*time.Second, "followers to learn the HW", func() bool {
		return c.log(2).HighWatermark() == committed && c.log(3).HighWatermark() == committed
	})

	// Node 3 stops; node 2 gets more of epoch 0 that node 3 never sees.
	c.stop(3)
	for range 4 {
		mustProduce(t, cl, 1, 3)
	}
	testutil.WaitUntil(t, waitLimit, "node 2 to replicate the uncommitted suffix", func() bool {
		return c.log(2).LogEndOffset() == c.log(1).LogEndOffset()
	})
	if hw := c.log(1).HighWatermark(); hw != committed {
		t.Fatalf("HW moved to %d without node 3 (still in the ISR)", hw)
	}
	diverged := c.log(2).LogEndOffset()
	c.stop(1)

	// Node 3 comes back and is elected (it is in the ISR) for epoch 1.
	c.start(3)
	if leo := c.log(3).LogEndOffset(); leo != committed {
		t.Fatalf("node 3 restarted with log end %d, want %d", leo, committed)
	}
	if hw := c.log(3).HighWatermark(); hw != committed {
		t.Fatalf("node 3 restarted with HW %d, want the checkpointed %d", hw, committed)
	}
	c.publish(func(im *metadata.Image) { im.Brokers[1].Fenced = true })
	c.setPartition(3, []int32{2, 3}, []int32{1, 2, 3}, nil)
	cl3 := client(t, c.node(3))
	sp := mustProduce(t, cl3, -1, 4)
	if sp.BaseOffset != committed {
		t.Fatalf("new leader wrote at %d, want %d", sp.BaseOffset, committed)
	}
	if leo := c.log(2).LogEndOffset(); leo != committed+4 {
		t.Fatalf("node 2 log end %d after truncating from %d, want %d", leo, diverged, committed+4)
	}
	waitSameLogs(t, c, 3, 2)
	if e, ok := c.log(2).EndOffsetForEpoch(0); !ok || e.EndOffset != committed {
		t.Fatalf("node 2's epoch 0 ends at %+v, want %d", e, committed)
	}

	// The old leader returns as a follower with the same diverged suffix.
	c.start(1)
	c.publish(func(im *metadata.Image) { im.Brokers[1].Fenced = false })
	c.waitISR(2, 3, 1)
	mustProduce(t, cl3, -1, 1)
	waitSameLogs(t, c, 3, 2, 1)
}
