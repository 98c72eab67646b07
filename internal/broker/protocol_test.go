package broker

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestApiVersionsAboveOurMax: KIP-511 — a client asking at a version we do
// not know gets our ranges in the v0 layout with UNSUPPORTED_VERSION.
func TestApiVersionsAboveOurMax(t *testing.T) {
	b, addr := startBroker(t, t.TempDir())
	defer b.Close()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	// ApiVersions v99 with a body we cannot parse: only the header matters.
	frame := kbin.AppendInt16([]byte{0, 0, 0, 0}, 18)
	frame = kbin.AppendInt16(frame, 99)
	frame = kbin.AppendInt32(frame, 7)
	frame = kbin.AppendNullableString(frame, nil)
	frame = append(frame, 0xde, 0xad)
	binary.BigEndian.PutUint32(frame, uint32(len(frame)-4))
	c.Write(frame)
	var size [4]byte
	if _, err := io.ReadFull(c, size[:]); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	io.ReadFull(c, body)
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.SetVersion(0)
	if err := resp.ReadFrom(body[4:]); err != nil {
		t.Fatalf("not a v0 ApiVersions response: %v", err)
	}
	if resp.ErrorCode != kerr.UnsupportedVersion.Code || len(resp.ApiKeys) == 0 {
		t.Fatalf("error %d with %d keys, want UNSUPPORTED_VERSION and our ranges", resp.ErrorCode, len(resp.ApiKeys))
	}
	for _, k := range resp.ApiKeys {
		if k.ApiKey == 0 && (k.MinVersion != 0 || k.MaxVersion != 13) {
			t.Fatalf("Produce advertised %d-%d, want 0-13 (COMPAT.md)", k.MinVersion, k.MaxVersion)
		}
	}
}

func TestDeleteTopicByID(t *testing.T) {
	b, addr := startBroker(t, t.TempDir())
	defer b.Close()
	adm := kadm.NewClient(newClient(t, addr))
	res, err := adm.CreateTopics(context.Background(), 1, 1, nil, "by-id")
	if err != nil || res["by-id"].Err != nil {
		t.Fatal(err, res["by-id"].Err)
	}
	req := kmsg.NewPtrDeleteTopicsRequest()
	req.SetVersion(6)
	dt := kmsg.NewDeleteTopicsRequestTopic()
	dt.TopicID = res["by-id"].ID
	req.Topics = append(req.Topics, dt)
	resp := rawRequest(t, addr, req).(*kmsg.DeleteTopicsResponse)
	if len(resp.Topics) != 1 || resp.Topics[0].ErrorCode != 0 || resp.Topics[0].Topic == nil || *resp.Topics[0].Topic != "by-id" {
		t.Fatalf("delete by id: %+v", resp.Topics)
	}
	again := rawRequest(t, addr, req).(*kmsg.DeleteTopicsResponse)
	if again.Topics[0].ErrorCode == 0 {
		t.Fatal("deleting the same id twice succeeded")
	}
}

func TestDescribeTopicPartitionsPages(t *testing.T) {
	b, addr := startBroker(t, t.TempDir())
	defer b.Close()
	adm := kadm.NewClient(newClient(t, addr))
	if _, err := adm.CreateTopics(context.Background(), 3, 1, nil, "pa", "pb"); err != nil {
		t.Fatal(err)
	}
	var seen []string
	var cursor *kmsg.DescribeTopicPartitionsRequestCursor
	for page := 0; page < 10; page++ {
		req := kmsg.NewPtrDescribeTopicPartitionsRequest()
		req.ResponsePartitionLimit = 2
		for _, n := range []string{"pa", "pb"} {
			rt := kmsg.NewDescribeTopicPartitionsRequestTopic()
			rt.Topic = n
			req.Topics = append(req.Topics, rt)
		}
		req.Cursor = cursor
		resp := rawRequest(t, addr, req).(*kmsg.DescribeTopicPartitionsResponse)
		for _, tp := range resp.Topics {
			for _, p := range tp.Partitions {
				seen = append(seen, *tp.Topic+"/"+string(rune('0'+p.Partition)))
			}
		}
		if resp.NextCursor == nil {
			break
		}
		cursor = &kmsg.DescribeTopicPartitionsRequestCursor{Topic: resp.NextCursor.Topic, Partition: resp.NextCursor.Partition}
	}
	want := []string{"pa/0", "pa/1", "pa/2", "pb/0", "pb/1", "pb/2"}
	if len(seen) != len(want) {
		t.Fatalf("pages gave %v, want %v", seen, want)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("pages gave %v, want %v", seen, want)
		}
	}
}

// TestFetchSessions follows KIP-227: a full fetch opens a session, an
// incremental fetch answers only partitions with news, a wrong epoch or an
// unknown session is refused with the session errors.
func TestFetchSessions(t *testing.T) {
	b, addr := startBroker(t, t.TempDir())
	defer b.Close()
	cl := newClient(t, addr, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopics(context.Background(), 2, 1, nil, "fs"); err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: "fs", Partition: 0, Value: []byte("x")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	fetch := func(sessionID, epoch int32, parts ...int32) *kmsg.FetchResponse {
		req := kmsg.NewPtrFetchRequest()
		req.SetVersion(12)
		req.ReplicaID, req.MaxBytes, req.SessionID, req.SessionEpoch = -1, 1<<20, sessionID, epoch
		tp := kmsg.NewFetchRequestTopic()
		tp.Topic = "fs"
		for _, p := range parts {
			rp := kmsg.NewFetchRequestTopicPartition()
			rp.Partition, rp.PartitionMaxBytes, rp.CurrentLeaderEpoch, rp.LastFetchedEpoch = p, 1<<20, -1, -1
			if p == 0 {
				rp.FetchOffset = 1 // past the one record: nothing new
			}
			tp.Partitions = append(tp.Partitions, rp)
		}
		if len(parts) > 0 {
			req.Topics = append(req.Topics, tp)
		}
		return rawRequest(t, addr, req).(*kmsg.FetchResponse)
	}
	full := fetch(0, 0, 0, 1)
	if full.SessionID == 0 || len(full.Topics) != 1 || len(full.Topics[0].Partitions) != 2 {
		t.Fatalf("full fetch: session %d, topics %+v", full.SessionID, full.Topics)
	}
	inc := fetch(full.SessionID, 1)
	if inc.ErrorCode != 0 || len(inc.Topics) != 0 {
		t.Fatalf("incremental fetch with no news: error %d, topics %+v", inc.ErrorCode, inc.Topics)
	}
	if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: "fs", Partition: 1, Value: []byte("y")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	news := fetch(full.SessionID, 2)
	if len(news.Topics) != 1 || len(news.Topics[0].Partitions) != 1 || news.Topics[0].Partitions[0].Partition != 1 ||
		len(news.Topics[0].Partitions[0].RecordBatches) == 0 {
		t.Fatalf("incremental fetch after a write to partition 1: %+v", news.Topics)
	}
	if bad := fetch(full.SessionID, 5); bad.ErrorCode != kerr.InvalidFetchSessionEpoch.Code {
		t.Fatalf("wrong epoch: error %d", bad.ErrorCode)
	}
	if gone := fetch(full.SessionID+1, 1); gone.ErrorCode != kerr.FetchSessionIDNotFound.Code {
		t.Fatalf("unknown session: error %d", gone.ErrorCode)
	}
}
