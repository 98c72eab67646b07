package group

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/storage"
)

func commitReq(groupID, member string, gen int32, offs ...CommitOffset) CommitRequest {
	return CommitRequest{Group: groupID, MemberID: member, Generation: gen, RetentionMs: -1, Offsets: offs}
}

func co(topic string, p int32, off int64) CommitOffset {
	return CommitOffset{TopicPartition: TopicPartition{topic, p}, Offset: off, LeaderEpoch: 3, Timestamp: -1}
}

func TestCommitAndFetch(t *testing.T) {
	h := newHarness(t)
	meta := "m"
	c := co("t", 0, 42)
	c.Metadata = &meta
	errs := h.c.commit(h.now, commitReq("simple", "", -1, c, co("t", 1, 7)))
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("admin commit to a new group: %v", errs)
	}
	got := h.c.fetch("simple", []TopicPartition{{"t", 0}, {"t", 9}})
	if got[0].Offset != 42 || got[0].LeaderEpoch != 3 || got[0].Metadata != "m" || got[1].Offset != -1 || got[1].LeaderEpoch != -1 {
		t.Fatalf("fetch: %+v", got)
	}
	if all := h.c.fetch("simple", nil); len(all) != 2 || all[1].Partition != 1 {
		t.Fatalf("fetch all: %+v", all)
	}
	if none := h.c.fetch("missing", nil); len(none) != 0 {
		t.Fatalf("fetch all of a missing group: %+v", none)
	}
	// Records in Kafka's format: key v1, value v3.
	var k kmsg.OffsetCommitKey
	var v kmsg.OffsetCommitValue
	if err := k.ReadFrom(h.j.recs[0].key); err != nil || k.Version != 1 || k.Group != "simple" || k.Topic != "t" || k.Partition != 0 {
		t.Fatalf("key %+v %v", k, err)
	}
	if err := v.ReadFrom(h.j.recs[0].value); err != nil || v.Version != 3 || v.Offset != 42 || v.LeaderEpoch != 3 ||
		v.Metadata != "m" || v.CommitTimestamp != h.now.UnixMilli() {
		t.Fatalf("value %+v %v", v, err)
	}
}

func TestCommitRules(t *testing.T) {
	h := newHarness(t)
	ids, gen := h.stableGroup("g", 2, "t")
	big := strings.Repeat("x", 4097)
	tooBig := co("t", 1, 1)
	tooBig.Metadata = &big
	for _, tc := range []struct {
		name string
		req  CommitRequest
		want []error
	}{
		{"member commit", commitReq("g", ids[1], gen, co("t", 0, 5)), []error{nil}},
		{"metadata too large, per partition", commitReq("g", ids[1], gen, co("t", 0, 6), tooBig), []error{nil, ErrOffsetMetadataTooLarge}},
		{"old generation", commitReq("g", ids[1], gen-1, co("t", 0, 5)), []error{ErrIllegalGeneration}},
		{"unknown member", commitReq("g", "ghost", gen, co("t", 0, 5)), []error{ErrUnknownMemberID}},
		{"admin commit while members exist", commitReq("g", "", -1, co("t", 0, 5)), []error{ErrUnknownMemberID}},
		{"generation for a group never seen", commitReq("nope", "m", 4, co("t", 0, 5)), []error{ErrIllegalGeneration}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := h.c.commit(h.now, tc.req)
			for i := range tc.want {
				if !errors.Is(got[i], tc.want[i]) || (tc.want[i] == nil && got[i] != nil) {
					t.Fatalf("partition %d: %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
	if o := h.c.fetch("g", []TopicPartition{{"t", 0}}); o[0].Offset != 6 {
		t.Fatalf("committed %d, want 6", o[0].Offset)
	}
	// During CompletingRebalance the member has a generation but no assignment.
	h.join(consumerJoin("g", ids[1], "t", "u"))
	j := h.join(consumerJoin("g", ids[0], "t"))
	errs := h.c.commit(h.now, commitReq("g", ids[0], j.res.Generation, co("t", 0, 9)))
	wantErr(t, "commit while completing", errs[0], ErrRebalanceInProgress)
}

func TestCommitWriteFailure(t *testing.T) {
	h := newHarness(t)
	h.j.fail = storage.ErrLogClosed
	errs := h.c.commit(h.now, commitReq("g", "", -1, co("t", 0, 1)))
	wantErr(t, "commit on a closed log", errs[0], ErrNotCoordinator)
	h.j.fail = storage.ErrRecordTooLarge
	errs = h.c.commit(h.now, commitReq("g", "", -1, co("t", 0, 1)))
	wantErr(t, "oversized commit", errs[0], ErrInvalidCommitOffsetSize)
	h.j.fail = nil
	if o := h.c.fetch("g", nil); len(o) != 0 {
		t.Fatalf("failed commits must not be visible: %+v", o)
	}
}

func TestOffsetExpiry(t *testing.T) {
	h := newHarness(t, func(c *Config) {
		c.Retention = time.Hour
		c.RetentionCheckInterval = time.Minute
	})
	// A standalone (offsets-only) group expires per commit.
	h.c.commit(h.now, commitReq("solo", "", -1, co("t", 0, 1)))
	h.advance(30 * time.Minute)
	h.c.commit(h.now, commitReq("solo", "", -1, co("t", 1, 1)))
	// A consumer group keeps offsets of subscribed topics while stable.
	ids, gen := h.stableGroup("cg", 1, "t")
	h.c.commit(h.now, commitReq("cg", ids[0], gen, co("t", 0, 1), co("old", 0, 1)))
	keepAlive := func(d time.Duration) {
		for end := h.now.Add(d); h.now.Before(end); {
			h.advance(5 * time.Second)
			h.heartbeat("cg", ids[0], gen)
		}
	}
	keepAlive(31 * time.Minute)
	if o := h.c.fetch("solo", nil); len(o) != 1 || o[0].Partition != 1 {
		t.Fatalf("solo after the first commit's retention: %+v", o)
	}
	keepAlive(30 * time.Minute)
	if h.c.groups["solo"] != nil {
		t.Fatal("solo group should be gone with its last offset")
	}
	if o := h.c.fetch("cg", nil); len(o) != 1 || o[0].Topic != "t" {
		t.Fatalf("stable consumer group: %+v; want only the subscribed topic kept", o)
	}
	// Once Empty, everything expires a retention period later.
	h.c.leave(h.now, "cg", []LeaveMember{{MemberID: ids[0]}})
	h.advance(59 * time.Minute)
	if len(h.c.fetch("cg", nil)) != 1 {
		t.Fatal("offsets expired before the group was empty for the retention period")
	}
	h.advance(2 * time.Minute)
	if h.c.groups["cg"] != nil {
		t.Fatal("empty group should be deleted once its offsets expired")
	}
	// Tombstones: the offset keys, then the group key (it had a generation).
	n := len(h.j.recs)
	if d, _, _ := decodeRecord(h.j.recs[n-1].key, h.j.recs[n-1].value); d.groupKey == nil || d.group != nil {
		t.Fatalf("last record should be the group tombstone: %+v", d)
	}
}

func TestExplicitRetentionExpires(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.RetentionCheckInterval = time.Minute })
	req := commitReq("g", "", -1, co("t", 0, 1))
	req.RetentionMs = 120_000 // OffsetCommit v2–4
	h.c.commit(h.now, req)
	if d, _, _ := decodeRecord(h.j.recs[0].key, h.j.recs[0].value); d.offset.Version != 1 || d.offset.ExpireTimestamp != h.now.UnixMilli()+120_000 {
		t.Fatalf("explicit retention must write value v1 with the expiry: %+v", d.offset)
	}
	h.advance(3 * time.Minute)
	if h.c.groups["g"] != nil {
		t.Fatal("offset with an explicit retention should have expired")
	}
}

func TestDeleteGroupsAndOffsets(t *testing.T) {
	h := newHarness(t)
	ids, gen := h.stableGroup("g", 1, "t")
	h.c.commit(h.now, commitReq("g", ids[0], gen, co("t", 0, 1), co("other", 0, 1)))
	wantErr(t, "delete a group with members", h.c.deleteGroup(h.now, "g"), ErrNonEmptyGroup)
	wantErr(t, "delete a missing group", h.c.deleteGroup(h.now, "nope"), ErrGroupIDNotFound)
	errs, err := h.c.deleteOffsets(h.now, "g", []TopicPartition{{"t", 0}, {"other", 0}, {"never", 0}})
	if err != nil || errs[0] != ErrGroupSubscribedToTopic || errs[1] != nil || errs[2] != nil {
		t.Fatalf("offset delete on a stable group: %v %v", errs, err)
	}
	if o := h.c.fetch("g", nil); len(o) != 1 || o[0].Topic != "t" {
		t.Fatalf("after offset delete: %+v", o)
	}
	h.c.leave(h.now, "g", []LeaveMember{{MemberID: ids[0]}})
	wantErr(t, "delete the empty group", h.c.deleteGroup(h.now, "g"), nil)
	if h.c.groups["g"] != nil || len(h.c.fetch("g", nil)) != 0 {
		t.Fatal("group still there after delete")
	}
	_, err = h.c.deleteOffsets(h.now, "g", []TopicPartition{{"t", 0}})
	wantErr(t, "offset delete on a missing group", err, ErrGroupIDNotFound)
}

func TestDescribeAndList(t *testing.T) {
	h := newHarness(t)
	ids, _ := h.stableGroup("g", 2, "t")
	h.c.commit(h.now, commitReq("simple", "", -1, co("t", 0, 1)))
	d := h.c.describe("g")
	if !d.Exists || d.State != "Stable" || d.Protocol != "range" || d.ProtocolType != "consumer" || len(d.Members) != 2 ||
		d.Members[0].MemberID != ids[0] || string(d.Members[1].Assignment) != "assignment-of-"+ids[1] || d.Members[0].ClientHost != "/127.0.0.1" {
		t.Fatalf("describe: %+v", d)
	}
	if d := h.c.describe("missing"); d.Exists || d.State != "Dead" {
		t.Fatalf("describe missing: %+v", d)
	}
	l := h.c.list(nil)
	if len(l) != 2 || l[0].Group != "g" || l[1].Group != "simple" || l[1].State != "Empty" || l[1].ProtocolType != "" {
		t.Fatalf("list: %+v", l)
	}
	if l := h.c.list([]string{"stable"}); len(l) != 1 || l[0].Group != "g" {
		t.Fatalf("list stable: %+v", l)
	}
}
