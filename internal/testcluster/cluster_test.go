package testcluster

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/testutil"
	"github.com/strom-project/strom/internal/wire"
)

const opTimeout = 30 * time.Second

// TestSmoke starts three nodes, creates an RF=3 topic, produces 1000
// records with acks=all and reads every one back.
func TestSmoke(t *testing.T) {
	c := Start(t, Options{Nodes: 3})
	const topic = "smoke"
	createTopic(t, c, topic, 3, 3)
	produce(t, c, topic, 0, 1000)
	readBack(t, c, topic, 1000)
	checkQuorum(t, c)
}

// checkQuorum asks every node for DescribeQuorum: followers forward it to
// the active controller, so all answer alike, with three caught-up voters.
func checkQuorum(t *testing.T, c *Cluster) {
	t.Helper()
	for _, addr := range c.Bootstrap() {
		testutil.WaitFor(t, opTimeout, func() error {
			cl := wire.NewClient(addr, "quorum-test")
			defer cl.Close()
			req := kmsg.NewPtrDescribeQuorumRequest()
			req.SetVersion(2)
			rt := kmsg.NewDescribeQuorumRequestTopic()
			rt.Topic = "__cluster_metadata"
			rt.Partitions = append(rt.Partitions, kmsg.NewDescribeQuorumRequestTopicPartition())
			req.Topics = append(req.Topics, rt)
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			resp, err := cl.Do(ctx, req)
			if err != nil {
				return err
			}
			r := resp.(*kmsg.DescribeQuorumResponse)
			if len(r.Topics) != 1 || len(r.Topics[0].Partitions) != 1 || len(r.Nodes) != 3 {
				return fmt.Errorf("%s: DescribeQuorum %+v", addr, r)
			}
			p := r.Topics[0].Partitions[0]
			if p.ErrorCode != 0 || p.LeaderID < 1 || len(p.CurrentVoters) != 3 {
				return fmt.Errorf("%s: quorum %+v", addr, p)
			}
			for _, v := range p.CurrentVoters {
				if v.LogEndOffset < p.HighWatermark {
					return fmt.Errorf("%s: voter %d at %d behind the high watermark %d", addr, v.ReplicaID, v.LogEndOffset, p.HighWatermark)
				}
			}
			return nil
		})
	}
}

// TestStopRestart stops a node cleanly, writes while it is down, restarts
// it on the same directories and reads everything back, with
// min.insync.replicas=2 so that writes need the two nodes left.
func TestStopRestart(t *testing.T) {
	c := Start(t, Options{Nodes: 3, Overrides: map[string]string{"min.insync.replicas": "2"}})
	const topic = "stop-restart"
	createTopic(t, c, topic, 3, 3)
	produce(t, c, topic, 0, 200)
	c.Stop(2)
	if c.Broker(2) != nil {
		t.Fatal("Broker(2) after Stop is not nil")
	}
	produce(t, c, topic, 200, 400)
	c.Restart(2)
	if c.Broker(2) == nil || c.Broker(2).Addr("PLAINTEXT").String() != c.Bootstrap()[2] {
		t.Fatalf("node 3 after Restart: %v, want it on %s", c.Broker(2), c.Bootstrap()[2])
	}
	produce(t, c, topic, 400, 600)
	readBack(t, c, topic, 600)
}

func client(t *testing.T, c *Cluster, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.Bootstrap()...)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func createTopic(t *testing.T, c *Cluster, topic string, partitions int32, rf int16) {
	t.Helper()
	cl := client(t, c)
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(t.Context(), opTimeout)
	defer cancel()
	waitAllBrokers(t, c, cl)
	resp, err := adm.CreateTopic(ctx, partitions, rf, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("creating %s (RF=%d): %v", topic, rf, err)
	}
	waitTopicEverywhere(t, c, topic, partitions)
}

// waitTopicEverywhere waits until every node's metadata has topic with a
// leader for each partition. CreateTopics returns once the controller has
// committed the topic; other nodes apply it a moment later (as in Kafka),
// and a test reading metadata from any node must not see it missing.
func waitTopicEverywhere(t *testing.T, c *Cluster, topic string, partitions int32) {
	t.Helper()
	for _, addr := range c.Bootstrap() {
		testutil.WaitFor(t, opTimeout, func() error {
			cl := wire.NewClient(addr, "topic-wait")
			defer cl.Close()
			req := kmsg.NewPtrMetadataRequest()
			req.SetVersion(12)
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr(topic)
			req.Topics = append(req.Topics, rt)
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			resp, err := cl.Do(ctx, req)
			if err != nil {
				return err
			}
			ts := resp.(*kmsg.MetadataResponse).Topics
			if len(ts) != 1 || ts[0].ErrorCode != 0 || int32(len(ts[0].Partitions)) != partitions {
				return fmt.Errorf("%s: topic %s not there yet", addr, topic)
			}
			for _, p := range ts[0].Partitions {
				if p.Leader < 0 {
					return fmt.Errorf("%s: %s-%d has no leader yet", addr, topic, p.Partition)
				}
			}
			return nil
		})
	}
}

// produce writes values from..to-1 with acks=all, idempotently, and fails t
// unless every one is acknowledged within opTimeout.
func produce(t *testing.T, c *Cluster, topic string, from, to int) {
	t.Helper()
	cl := client(t, c, kgo.RequiredAcks(kgo.AllISRAcks()), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()),
		kgo.MetadataMinAge(100*time.Millisecond), kgo.RecordDeliveryTimeout(opTimeout))
	ctx, cancel := context.WithTimeout(t.Context(), opTimeout)
	defer cancel()
	errs := make(chan error, to-from)
	for i := from; i < to; i++ {
		cl.Produce(ctx, &kgo.Record{Topic: topic, Value: []byte(strconv.Itoa(i))}, func(_ *kgo.Record, err error) { errs <- err })
	}
	for i := from; i < to; i++ {
		if err := <-errs; err != nil {
			t.Fatalf("producing to %s: %v\n%s", topic, err, c.LogTails(40))
		}
	}
}

// readBack reads topic from the start and requires values 0..n-1, each
// exactly once.
func readBack(t *testing.T, c *Cluster, topic string, n int) {
	t.Helper()
	cl := client(t, c, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx, cancel := context.WithTimeout(t.Context(), opTimeout)
	defer cancel()
	seen := make([]int, n)
	read := 0
	for read < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d of %d records of %s within %v", read, n, topic, opTimeout)
		}
		fs.EachRecord(func(r *kgo.Record) {
			v, err := strconv.Atoi(string(r.Value))
			if err != nil || v < 0 || v >= n {
				t.Fatalf("unexpected value %q at %d/%d", r.Value, r.Partition, r.Offset)
			}
			seen[v]++
			read++
		})
	}
	for v, k := range seen {
		if k != 1 {
			t.Errorf("value %d read %d times", v, k)
		}
	}
}

// waitAllBrokers waits until a broker's Metadata lists every node. It asks
// a broker each time: kadm's BrokerMetadata answers from franz-go's cached
// broker list, which a client refreshes only every metadata.max.age (5
// minutes), so a list read while the last node was being unfenced would
// stay short.
func waitAllBrokers(t *testing.T, c *Cluster, cl *kgo.Client) {
	t.Helper()
	testutil.WaitFor(t, opTimeout, func() error {
		resp, err := kmsg.NewPtrMetadataRequest().RequestWith(t.Context(), cl)
		if err != nil {
			return err
		}
		if len(resp.Brokers) != len(c.Bootstrap()) {
			var ids []int32
			for _, b := range resp.Brokers {
				ids = append(ids, b.NodeID)
			}
			return fmt.Errorf("metadata lists brokers %v, want %d", ids, len(c.Bootstrap()))
		}
		return nil
	})
}
