package durability

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/record"
	"github.com/strom-project/strom/internal/teststrom"
	"github.com/strom-project/strom/internal/testutil/topiclog"
)

// Disk full. The broker's log dir is a small tmpfs; a filler file takes
// the free space away while a producer runs. With a free-space reserve
// (log.dir.min.free.bytes) appends are refused before the disk is full;
// with none, the write itself fails with ENOSPC. Either way produce gets
// KAFKA_STORAGE_ERROR, the broker stays up, nothing acknowledged is lost or
// damaged, and produce works again once the filler is gone.
func TestDiskFull(t *testing.T) {
	for _, tc := range []struct {
		name    string
		reserve int64
	}{
		{"reserve", 8 << 20},
		{"enospc", 0},
	} {
		t.Run(tc.name, func(t *testing.T) { diskFull(t, tc.reserve) })
	}
}

func diskFull(t *testing.T, reserve int64) {
	dir := mountTmpfs(t, 48<<20)
	if _, err := teststrom.Build(t.Context()); err != nil {
		t.Fatalf("building strom: %v", err)
	}
	b, err := teststrom.Start(teststrom.Options{Dir: dir, LogPath: filepath.Join(t.TempDir(), "strom.log"), Overrides: []string{
		"log.dir.min.free.bytes=" + strconv.FormatInt(reserve, 10), "log.preallocate=false", "log.segment.bytes=1048576",
	}})
	if err != nil {
		t.Fatalf("starting strom: %v", err)
	}
	t.Cleanup(func() {
		_ = b.Kill()
		if t.Failed() {
			t.Log(b.LogTail(60))
		}
	})
	topic := createTopicN(t, b, 1)
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.DefaultProduceTopic(topic), kgo.RecordRetries(1))
	if err != nil {
		t.Fatal(err)
	}
	defer closeClient(t, cl)
	acked := map[string]bool{}
	send := func(n int) (int, error) {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		ok := 0
		for range n {
			v := fmt.Sprintf("v%06d-%s", len(acked), make([]byte, 900))
			if err := cl.ProduceSync(ctx, kgo.StringRecord(v)).FirstErr(); err != nil {
				return ok, err
			}
			acked[v] = true
			ok++
		}
		return ok, nil
	}
	if _, err := send(200); err != nil {
		t.Fatalf("producing before the disk filled: %v", err)
	}

	filler := filepath.Join(dir, "filler")
	fill(t, filler, reserve)
	// Refused with KAFKA_STORAGE_ERROR within a refresh of the free space
	// (reserve) or at the first write that does not fit (ENOSPC).
	raw := 0
	waitFor(t, readyTimeout, func() error {
		v := fmt.Sprintf("raw%06d", raw)
		code, err := rawProduce(t.Context(), b.Addr(), topic, v)
		switch {
		case err != nil:
			return err
		case code != kerr.KafkaStorageError.Code:
			if code == 0 {
				acked[v] = true // it fitted: part of the topic now
				raw++
			}
			return fmt.Errorf("produce answered %v, want KAFKA_STORAGE_ERROR", kerr.ErrorForCode(code))
		}
		return nil
	})
	if _, err := kmsg.NewPtrMetadataRequest().RequestWith(t.Context(), cl); err != nil {
		t.Fatalf("the broker stopped answering on a full disk: %v", err)
	}

	// Space returns: produce works again without a restart.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	waitFor(t, readyTimeout, func() error {
		_, err := send(1)
		return err
	})
	if _, err := send(200); err != nil {
		t.Fatalf("producing after space returned: %v", err)
	}
	checkReadBack(t, b, topic, acked)
}

// checkReadBack reads the topic and requires every acknowledged value
// exactly once and nothing else.
func checkReadBack(t *testing.T, b *teststrom.Broker, topic string, acked map[string]bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), readTimeout)
	defer cancel()
	logs, err := topiclog.Read(ctx, topic, 1, readyTimeout, kgo.SeedBrokers(b.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, r := range logs[0].Records {
		seen[string(r.Value)]++
	}
	for v, n := range seen {
		if !acked[v] || n != 1 {
			t.Errorf("value %.8s… read %d times, acknowledged %v", v, n, acked[v])
		}
	}
	for v := range acked {
		if seen[v] == 0 {
			t.Errorf("acknowledged value %.8s… lost", v)
		}
	}
	t.Logf("DISKFULL-RESULT acked=%d read=%d", len(acked), len(logs[0].Records))
}

// rawProduce sends one record with acks=1 and no retries and returns the
// partition's error code, so the test sees KAFKA_STORAGE_ERROR itself
// rather than a client retrying it.
func rawProduce(ctx context.Context, addr, topic, value string) (int16, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	now := time.Now().UnixMilli()
	batch, err := record.Build(nil, record.BatchSpec{BaseTimestamp: now, MaxTimestamp: now, ProducerID: -1, ProducerEpoch: -1,
		BaseSequence: -1, Records: []record.NewRecord{{Value: []byte(value)}}})
	if err != nil {
		return 0, err
	}
	md := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	md.Topics = append(md.Topics, mt)
	mresp, err := md.RequestWith(ctx, cl)
	if err != nil {
		return 0, err
	}
	req := kmsg.NewPtrProduceRequest()
	req.Acks, req.TimeoutMillis = 1, 5000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic, rt.TopicID = topic, mresp.Topics[0].TopicID // v13 names topics by id
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = batch
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return 0, err
	}
	return resp.Topics[0].Partitions[0].ErrorCode, nil
}

// fill writes a file until the filesystem has about keep bytes free
// (keep 0: until it is full; ENOSPC ends the write).
func fill(t *testing.T, path string, keep int64) {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(path), &st); err != nil {
		t.Fatal(err)
	}
	free := int64(st.Bavail) * st.Bsize
	size := free - keep + (1 << 20) // 1 MiB into the reserve
	if keep == 0 {
		size = free + (1 << 20)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 1<<20)
	for written := int64(0); written < size; written += int64(len(chunk)) {
		if _, err := f.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return
			}
			t.Fatal(err)
		}
	}
}

// mountTmpfs mounts a tmpfs of size bytes on a new directory and unmounts
// it when t ends; it skips t where mounting is not allowed (not root).
func mountTmpfs(t *testing.T, size int64) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+strconv.FormatInt(size, 10), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs for the disk-full test (needs root): %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}
