package cli

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// commitAt runs a group member that consumes topic and commits exactly
// `at`, then leaves the group (unless keep is set: then the member stays
// and is closed at the end of the test).
func commitAt(t *testing.T, addr, group, topic string, at int64, keep bool) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.DisableAutoCommit(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatal("member consumed nothing in 20s")
		}
		if fs.NumRecords() > 0 {
			break
		}
	}
	// The member's own commit (its generation and member id): an admin
	// commit (generation -1) to a group with members is refused.
	var commitErr error
	cl.CommitOffsetsSync(ctx, map[string]map[int32]kgo.EpochOffset{topic: {0: {Epoch: -1, Offset: at}}},
		func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
			commitErr = err
			if err == nil {
				commitErr = kerr.ErrorForCode(resp.Topics[0].Partitions[0].ErrorCode)
			}
		})
	if commitErr != nil {
		t.Fatalf("commit: %v", commitErr)
	}
	if keep {
		t.Cleanup(cl.Close)
		return
	}
	cl.Close() // sends LeaveGroup: the group becomes Empty
}

func TestGroupCommands(t *testing.T) {
	b := startBroker(t)
	mustRun(t, "", "topic", "create", "events", "-p", "1", "-b", b)
	mustRun(t, strings.Repeat("x\n", 10), "produce", "events", "-b", b)
	commitAt(t, b, "billing", "events", 4, false)

	if got := mustRun(t, "", "group", "list", "-b", b); !strings.Contains(got, "billing") || !strings.Contains(got, "Empty") {
		t.Fatalf("group list:\n%s", got)
	}
	var described []struct {
		State    string `json:"state"`
		TotalLag int64  `json:"total_lag"`
		Offsets  []struct {
			Committed, End, Lag int64
		} `json:"offsets"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "", "group", "describe", "billing", "-o", "json", "-b", b)), &described); err != nil {
		t.Fatal(err)
	}
	if g := described[0]; g.TotalLag != 6 || len(g.Offsets) != 1 || g.Offsets[0].Committed != 4 || g.Offsets[0].End != 10 {
		t.Fatalf("describe: %+v, want committed 4, end 10, lag 6", g)
	}

	plan := mustRun(t, "", "group", "reset-offsets", "billing", "--topic", "events", "--to-earliest", "-b", b)
	if !strings.Contains(plan, "events  0          4        0") || !strings.Contains(plan, "dry run") {
		t.Fatalf("dry-run plan:\n%s", plan)
	}
	committed := func() int64 {
		t.Helper()
		var d []struct {
			Offsets []struct{ Committed int64 } `json:"offsets"`
		}
		json.Unmarshal([]byte(mustRun(t, "", "group", "describe", "billing", "-o", "json", "-b", b)), &d)
		return d[0].Offsets[0].Committed
	}
	if got := committed(); got != 4 {
		t.Fatalf("dry run changed the committed offset to %d", got)
	}
	mustRun(t, "", "group", "reset-offsets", "billing", "--topic", "events:0", "--shift-by", "3", "--execute", "-b", b)
	if got := committed(); got != 7 {
		t.Fatalf("after --shift-by 3: committed %d, want 7", got)
	}
	mustRun(t, "", "group", "reset-offsets", "billing", "--all-topics", "--shift-by", "-100", "--execute", "-b", b)
	if got := committed(); got != 0 {
		t.Fatalf("after --shift-by -100: committed %d, want 0 (clamped to the log start)", got)
	}

	commitAt(t, b, "live", "events", 2, true)
	if _, err := run(t, "", "group", "reset-offsets", "live", "--topic", "events", "--to-latest", "--execute", "-b", b); err == nil ||
		!strings.Contains(err.Error(), "stop its consumers") {
		t.Fatalf("reset of an active group: %v", err)
	}
	if _, err := run(t, "", "group", "delete", "live", "-b", b); err == nil {
		t.Fatal("deleting a group with a live member succeeded")
	}
	mustRun(t, "", "group", "delete", "billing", "-b", b)
	if got := mustRun(t, "", "group", "list", "-b", b); strings.Contains(got, "billing") {
		t.Fatalf("billing still listed after delete:\n%s", got)
	}
}

func TestGroupSeek(t *testing.T) {
	b := startBroker(t)
	mustRun(t, "", "topic", "create", "events", "-p", "1", "-b", b)
	mustRun(t, strings.Repeat("x\n", 10), "produce", "events", "-b", b)
	commitAt(t, b, "billing", "events", 4, false)
	committed := func() int64 {
		t.Helper()
		var d []struct {
			Offsets []struct{ Committed int64 } `json:"offsets"`
		}
		if err := json.Unmarshal([]byte(mustRun(t, "", "group", "describe", "billing", "-o", "json", "-b", b)), &d); err != nil {
			t.Fatal(err)
		}
		return d[0].Offsets[0].Committed
	}
	for _, tc := range []struct {
		to   string
		want int64
	}{
		{"start", 0},
		{"end", 10},
		{"3", 3},
		{"99", 10}, // clamped to the end
		{time.Now().Add(time.Hour).UTC().Format(time.RFC3339), 10},         // nothing that late: the end
		{strconv.FormatInt(time.Now().Add(-time.Hour).UnixMilli(), 10), 0}, // Unix ms before every record: the start
		{time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), 0},         // the same as RFC 3339
	} {
		if got := mustRun(t, "", "group", "seek", "billing", "--to", tc.to, "-b", b); !strings.Contains(got, "events") {
			t.Fatalf("seek --to %s:\n%s", tc.to, got)
		}
		if got := committed(); got != tc.want {
			t.Fatalf("seek --to %s: committed %d, want %d", tc.to, got, tc.want)
		}
	}
	if _, err := run(t, "", "group", "seek", "billing", "--to", "yesterday", "-b", b); err == nil || !strings.Contains(err.Error(), `--to "yesterday"`) {
		t.Fatalf("bad --to: %v", err)
	}
	commitAt(t, b, "live", "events", 2, true)
	if _, err := run(t, "", "group", "seek", "live", "--to", "start", "-b", b); err == nil || !strings.Contains(err.Error(), "stop its consumers") {
		t.Fatalf("seek of an active group: %v", err)
	}
}
