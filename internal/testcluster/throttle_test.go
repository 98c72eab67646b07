package testcluster

import (
	"context"
	"crypto/rand"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/strom-project/strom/internal/testutil"
)

// TestReassignThrottled runs kafka-reassign-partitions.sh --throttle's
// workflow with kadm (KIP-73): replication rates on the brokers, the
// replica lists on the topic, then a move of a topic with data from
// brokers 1,2 to 1,2,3. The new replica cannot join the ISR before the
// data could have crossed at the configured rate (a lower bound, with a
// generous margin), and acks=all produce keeps working meanwhile because
// the ISR is never throttled. With the throttle removed, a second move of
// the same size completes.
func TestReassignThrottled(t *testing.T) {
	const (
		rate       = 300 << 10 // bytes/s, leader and follower
		recordSize = 10 << 10
		records    = 300 // 3 MB: about 10 s at the rate
		dataBytes  = recordSize * records
	)
	// Small replica fetches so the copy advances in steps well below one
	// second's worth of the rate.
	c := Start(t, Options{Nodes: 3, Overrides: map[string]string{"replica.fetch.max.bytes": "131072"}})
	// Fresh metadata for every ISR check (kgo caches it for 5 s by default).
	adm := kadm.NewClient(client(t, c, kgo.MetadataMinAge(100*time.Millisecond)))
	ctx, cancel := context.WithTimeout(t.Context(), 5*opTimeout)
	defer cancel()

	createAssigned(t, c, "throttled", []int32{1, 2})
	produceBytes(t, c, "throttled", records, recordSize)

	// Throttle: rates on every broker, the leader side for the current
	// replicas and the follower side for the one being added.
	rateStr := strconv.Itoa(rate)
	alterBrokers(ctx, t, adm, kadm.SetConfig, rateStr)
	alterThrottledReplicas(ctx, t, adm, "throttled", kadm.SetConfig, "0:1,0:2", "0:3")

	start := time.Now()
	reassign(ctx, t, adm, "throttled", []int32{1, 2, 3})

	// acks=all produce goes through while broker 3 is still copying.
	produceBytes(t, c, "throttled", 20, 100)
	if isr := partitionISR(ctx, t, adm, "throttled"); slices.Contains(isr, 3) {
		t.Fatalf("broker 3 in the ISR %v %v after the reassignment began: not throttled", isr, time.Since(start))
	}

	waitInISR(ctx, t, adm, "throttled", 3, 2*time.Duration(dataBytes/rate)*time.Second+opTimeout)
	elapsed := time.Since(start)
	floor := time.Duration(float64(dataBytes) / rate / 2 * float64(time.Second)) // half the time at the rate
	t.Logf("moved %d bytes in %v at %d B/s (floor %v)", dataBytes, elapsed, rate, floor)
	if elapsed < floor {
		t.Fatalf("throttled move of %d bytes at %d B/s took %v, want at least %v", dataBytes, rate, elapsed, floor)
	}

	// Remove the throttle, as --verify does once the move is done.
	alterBrokers(ctx, t, adm, kadm.DeleteConfig, "")
	alterThrottledReplicas(ctx, t, adm, "throttled", kadm.DeleteConfig, "", "")
	testutil.WaitFor(t, opTimeout, func() error {
		described, err := adm.DescribeBrokerConfigs(ctx, 1, 2, 3)
		if err != nil {
			return err
		}
		if len(described) != 3 {
			return fmt.Errorf("described %d brokers", len(described))
		}
		unthrottled := strconv.FormatInt(math.MaxInt64, 10)
		for _, rc := range described {
			if rc.Err != nil {
				return rc.Err
			}
			seen := 0
			for _, cfg := range rc.Configs {
				if !strings.HasSuffix(cfg.Key, ".replication.throttled.rate") {
					continue
				}
				if seen++; cfg.MaybeValue() != unthrottled {
					return fmt.Errorf("broker %s: %s = %q", rc.Name, cfg.Key, cfg.MaybeValue())
				}
			}
			if seen != 2 {
				return fmt.Errorf("broker %s describes %d replication rates, want 2", rc.Name, seen)
			}
		}
		return nil
	})

	createAssigned(t, c, "unthrottled", []int32{1, 2})
	produceBytes(t, c, "unthrottled", records, recordSize)
	reassign(ctx, t, adm, "unthrottled", []int32{1, 2, 3})
	waitInISR(ctx, t, adm, "unthrottled", 3, 2*opTimeout)
}

// produceBytes writes n records of size random bytes with acks=all,
// uncompressed, in small batches.
func produceBytes(t *testing.T, c *Cluster, topic string, n, size int) {
	t.Helper()
	cl := client(t, c, kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.ProducerBatchMaxBytes(64<<10), kgo.RecordDeliveryTimeout(opTimeout))
	ctx, cancel := context.WithTimeout(t.Context(), opTimeout)
	defer cancel()
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: topic, Value: make([]byte, size)}
		rand.Read(recs[i].Value)
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("producing to %s: %v\n%s", topic, err, c.LogTails(40))
	}
}

// alterBrokers sets (or deletes) both replication rates on every broker.
func alterBrokers(ctx context.Context, t *testing.T, adm *kadm.Client, op kadm.IncrementalOp, value string) {
	t.Helper()
	var cfgs []kadm.AlterConfig
	for _, name := range []string{"leader.replication.throttled.rate", "follower.replication.throttled.rate"} {
		cfgs = append(cfgs, kadm.AlterConfig{Op: op, Name: name, Value: &value})
	}
	resps, err := adm.AlterBrokerConfigs(ctx, cfgs, 1, 2, 3)
	checkAltered(t, resps, err)
}

// alterThrottledReplicas sets (or deletes) a topic's throttled replica
// lists.
func alterThrottledReplicas(ctx context.Context, t *testing.T, adm *kadm.Client, topic string, op kadm.IncrementalOp, leader, follower string) {
	t.Helper()
	resps, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{
		{Op: op, Name: "leader.replication.throttled.replicas", Value: &leader},
		{Op: op, Name: "follower.replication.throttled.replicas", Value: &follower},
	}, topic)
	checkAltered(t, resps, err)
}

func checkAltered(t *testing.T, resps kadm.AlterConfigsResponses, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resps {
		if r.Err != nil {
			t.Fatalf("altering %s: %v (%s)", r.Name, r.Err, r.ErrMessage)
		}
	}
}

func reassign(ctx context.Context, t *testing.T, adm *kadm.Client, topic string, to []int32) {
	t.Helper()
	var req kadm.AlterPartitionAssignmentsReq
	req.Assign(topic, 0, to)
	resp, err := adm.AlterPartitionAssignments(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range resp.Sorted() {
		if r.Err != nil {
			t.Fatalf("reassigning %s-%d: %v (%s)", r.Topic, r.Partition, r.Err, r.ErrMessage)
		}
	}
}

// partitionISR is partition 0's ISR as Metadata reports it.
func partitionISR(ctx context.Context, t *testing.T, adm *kadm.Client, topic string) []int32 {
	t.Helper()
	md, err := adm.Metadata(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	return md.Topics[topic].Partitions[0].ISR
}

// waitInISR waits until broker id is in partition 0's ISR.
func waitInISR(ctx context.Context, t *testing.T, adm *kadm.Client, topic string, id int32, timeout time.Duration) {
	t.Helper()
	testutil.WaitFor(t, timeout, func() error {
		md, err := adm.Metadata(ctx, topic)
		if err != nil {
			return err
		}
		if isr := md.Topics[topic].Partitions[0].ISR; !slices.Contains(isr, id) {
			return fmt.Errorf("%s-0: ISR %v without broker %d", topic, isr, id)
		}
		return nil
	})
}
