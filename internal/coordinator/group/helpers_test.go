package group

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// harness drives a core by hand: a fake clock, a journal in memory and
// deterministic member ids ("client-1", "client-2", ...).
type harness struct {
	t       *testing.T
	c       *core
	j       *memJournal
	now     time.Time
	ids     int
	replies []interface{ count() int } // every waiting request, checked answered at most once
}

type memJournal struct {
	recs []kv
	fail error
}

func (j *memJournal) write(_ time.Time, recs []kv) error {
	if j.fail != nil {
		return j.fail
	}
	j.recs = append(j.recs, recs...)
	return nil
}

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.InitialRebalanceDelay = 0
	return cfg
}

func newHarness(t *testing.T, cfgs ...func(*Config)) *harness {
	t.Helper()
	cfg := testConfig()
	for _, f := range cfgs {
		f(&cfg)
	}
	h := &harness{t: t, j: &memJournal{}, now: time.UnixMilli(1_700_000_000_000)}
	h.c = newCore(cfg, h.j, func(prefix string) string { h.ids++; return fmt.Sprintf("%s-%d", prefix, h.ids) },
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	h.c.start(h.now)
	t.Cleanup(func() {
		for i, r := range h.replies {
			if r.count() > 1 {
				t.Errorf("request %d answered %d times; the core must answer each exactly once", i, r.count())
			}
		}
	})
	return h
}

// advance moves the clock and fires what is due.
func (h *harness) advance(d time.Duration) {
	h.now = h.now.Add(d)
	h.c.tick(h.now)
}

// reply captures a callback's result.
type reply[T any] struct {
	n   int
	res T
}

func (r *reply[T]) set(v T) { r.n++; r.res = v }

func (r *reply[T]) done() bool { return r.n > 0 }

func (r *reply[T]) count() int { return r.n }

// consumerJoin builds a JoinGroup for protocol type "consumer" with one
// range protocol subscribed to topics.
func consumerJoin(groupID, memberID string, topics ...string) JoinRequest {
	meta := kmsg.ConsumerMemberMetadata{Topics: topics}
	return JoinRequest{
		Group: groupID, MemberID: memberID, ClientID: "client", ClientHost: "/127.0.0.1", ProtocolType: "consumer",
		Protocols:      []Protocol{{Name: "range", Metadata: meta.AppendTo(nil)}},
		SessionTimeout: 10 * time.Second, RebalanceTimeout: 30 * time.Second, RequireKnownMemberID: true,
	}
}

func (h *harness) join(req JoinRequest) *reply[JoinResult] {
	h.t.Helper()
	r := &reply[JoinResult]{}
	h.replies = append(h.replies, r)
	h.c.join(h.now, req, r.set)
	return r
}

func (h *harness) sync(req SyncRequest) *reply[SyncResult] {
	h.t.Helper()
	r := &reply[SyncResult]{}
	h.replies = append(h.replies, r)
	h.c.sync(h.now, req, r.set)
	return r
}

// joinNew does the KIP-394 dance for a dynamic member and returns its
// pending join (not yet answered unless the join completed).
func (h *harness) joinNew(req JoinRequest) (string, *reply[JoinResult]) {
	h.t.Helper()
	first := h.join(req)
	if !first.done() || !errors.Is(first.res.Err, ErrMemberIDRequired) {
		h.t.Fatalf("first join: %+v, want MEMBER_ID_REQUIRED", first.res)
	}
	req.MemberID = first.res.MemberID
	return first.res.MemberID, h.join(req)
}

// stableGroup makes a Stable group of n dynamic members; the first is the
// leader. Every member first gets its id (MEMBER_ID_REQUIRED): pending ids
// hold the join open, so the last second join completes it for all.
func (h *harness) stableGroup(groupID string, n int, topics ...string) ([]string, int32) {
	h.t.Helper()
	ids := make([]string, n)
	for i := range ids {
		r := h.join(consumerJoin(groupID, "", topics...))
		wantErr(h.t, "first join", r.res.Err, ErrMemberIDRequired)
		ids[i] = r.res.MemberID
	}
	joins := make([]*reply[JoinResult], n)
	for i, id := range ids {
		joins[i] = h.join(consumerJoin(groupID, id, topics...))
	}
	g := h.c.groups[groupID]
	for i, j := range joins {
		if !j.done() || j.res.Err != nil || j.res.Generation != g.generation || j.res.LeaderID != ids[0] {
			h.t.Fatalf("join of %s: done=%v %+v (generation %d)", ids[i], j.done(), j.res, g.generation)
		}
	}
	if len(joins[0].res.Members) != n {
		h.t.Fatalf("leader got %d members, want %d", len(joins[0].res.Members), n)
	}
	gen := g.generation
	assign := map[string][]byte{}
	for _, id := range ids {
		assign[id] = []byte("assignment-of-" + id)
	}
	syncs := make([]*reply[SyncResult], n)
	for i := n - 1; i >= 0; i-- { // followers first: they wait for the leader
		req := SyncRequest{Group: groupID, Generation: gen, MemberID: ids[i]}
		if i == 0 {
			req.Assignments = assign
		} else if syncs[i] = h.sync(req); syncs[i].done() {
			h.t.Fatalf("follower %s answered before the leader synced: %+v", ids[i], syncs[i].res)
		}
		if i == 0 {
			syncs[0] = h.sync(req)
		}
	}
	for i, s := range syncs {
		if !s.done() || s.res.Err != nil || string(s.res.Assignment) != "assignment-of-"+ids[i] {
			h.t.Fatalf("sync of %s: done=%v %+v", ids[i], s.done(), s.res)
		}
	}
	if got := h.state(groupID); got != "Stable" {
		h.t.Fatalf("state %s after sync, want Stable", got)
	}
	return ids, gen
}

func (h *harness) heartbeat(groupID, memberID string, gen int32) error {
	return h.c.heartbeat(h.now, HeartbeatRequest{Group: groupID, MemberID: memberID, Generation: gen})
}

func (h *harness) state(groupID string) string {
	if g := h.c.groups[groupID]; g != nil {
		return g.state.String()
	}
	return "Dead"
}

func wantErr(t *testing.T, what string, got, want error) {
	t.Helper()
	if !errors.Is(got, want) || (want == nil && got != nil) {
		t.Fatalf("%s: error %v, want %v", what, got, want)
	}
}
