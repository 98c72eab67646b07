package group

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestJoinSyncMakesStableGroupAndStoresIt(t *testing.T) {
	h := newHarness(t)
	ids, gen := h.stableGroup("g", 2, "t")
	if gen != 1 {
		t.Fatalf("generation %d, want 1", gen)
	}
	// The assignment is persisted in Kafka's GroupMetadataValue format.
	last := h.j.recs[len(h.j.recs)-1]
	var k kmsg.GroupMetadataKey
	var v kmsg.GroupMetadataValue
	if err := k.ReadFrom(last.key); err != nil || k.Version != 2 || k.Group != "g" {
		t.Fatalf("group key %+v: %v", k, err)
	}
	if err := v.ReadFrom(last.value); err != nil {
		t.Fatal(err)
	}
	if v.Version != 3 || v.Generation != 1 || v.ProtocolType != "consumer" || *v.Protocol != "range" || *v.Leader != ids[0] || len(v.Members) != 2 {
		t.Fatalf("group value %+v", v)
	}
	if string(v.Members[1].Assignment) != "assignment-of-"+ids[1] || v.Members[1].SessionTimeoutMillis != 10000 {
		t.Fatalf("member record %+v", v.Members[1])
	}
	wantErr(t, "heartbeat", h.heartbeat("g", ids[1], gen), nil)
}

func TestJoinValidation(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		name string
		req  func(*JoinRequest)
		want error
	}{
		{"empty group id", func(r *JoinRequest) { r.Group = "" }, ErrInvalidGroupID},
		{"session below min", func(r *JoinRequest) { r.SessionTimeout = time.Second }, ErrInvalidSessionTimeout},
		{"session above max", func(r *JoinRequest) { r.SessionTimeout = time.Hour }, ErrInvalidSessionTimeout},
		{"unknown member of missing group", func(r *JoinRequest) { r.MemberID = "nobody" }, ErrUnknownMemberID},
		{"no protocols", func(r *JoinRequest) { r.Protocols = nil }, ErrInconsistentGroupProtocol},
		{"no protocol type", func(r *JoinRequest) { r.ProtocolType = "" }, ErrInconsistentGroupProtocol},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := consumerJoin("v", "")
			tc.req(&req)
			wantErr(t, "join", h.join(req).res.Err, tc.want)
		})
	}
	// A member whose protocols share nothing with the group is refused.
	h.stableGroup("g", 1)
	other := consumerJoin("g", "")
	other.Protocols = []Protocol{{Name: "roundrobin"}}
	wantErr(t, "foreign protocol", h.join(other).res.Err, ErrInconsistentGroupProtocol)
	other.ProtocolType = "connect"
	wantErr(t, "foreign protocol type", h.join(other).res.Err, ErrInconsistentGroupProtocol)
}

func TestProtocolSelectionByVotes(t *testing.T) {
	h := newHarness(t)
	protos := [][]Protocol{
		{{Name: "cooperative-sticky"}, {Name: "range"}},
		{{Name: "range"}, {Name: "cooperative-sticky"}},
		{{Name: "range"}, {Name: "cooperative-sticky"}, {Name: "roundrobin"}},
	}
	var ids []string
	for range protos {
		r := h.join(consumerJoin("g", ""))
		ids = append(ids, r.res.MemberID)
	}
	var last *reply[JoinResult]
	for i, p := range protos {
		req := consumerJoin("g", ids[i])
		req.Protocols = p
		last = h.join(req)
	}
	if !last.done() || *last.res.Protocol != "range" {
		t.Fatalf("selected %+v, want range (2 of 3 votes; roundrobin not supported by all)", last.res)
	}
}

func TestSecondMemberTriggersRebalance(t *testing.T) {
	h := newHarness(t)
	ids, gen := h.stableGroup("g", 1)
	id2, j2 := h.joinNew(consumerJoin("g", ""))
	if j2.done() || h.state("g") != "PreparingRebalance" {
		t.Fatalf("new member answered=%v in %s; want it waiting in PreparingRebalance", j2.done(), h.state("g"))
	}
	wantErr(t, "heartbeat during rebalance", h.heartbeat("g", ids[0], gen), ErrRebalanceInProgress)
	j1 := h.join(consumerJoin("g", ids[0]))
	if !j1.done() || !j2.done() || j1.res.Generation != gen+1 || j2.res.Generation != gen+1 {
		t.Fatalf("rejoin: %+v / %+v", j1.res, j2.res)
	}
	if len(j1.res.Members) != 2 || j2.res.Members != nil || j2.res.LeaderID != ids[0] {
		t.Fatalf("leader keeps leading and alone sees members: %+v / %+v", j1.res, j2.res)
	}
	wantErr(t, "old generation", h.heartbeat("g", ids[0], gen), ErrIllegalGeneration)
	s2 := h.sync(SyncRequest{Group: "g", Generation: gen + 1, MemberID: id2})
	s1 := h.sync(SyncRequest{Group: "g", Generation: gen + 1, MemberID: ids[0], Assignments: map[string][]byte{ids[0]: []byte("a")}})
	if s1.res.Err != nil || s2.res.Err != nil || string(s1.res.Assignment) != "a" || len(s2.res.Assignment) != 0 || s2.res.Assignment == nil {
		t.Fatalf("syncs: %+v / %+v (a member the leader left out gets an empty assignment)", s1.res, s2.res)
	}
}

func TestInitialRebalanceDelayWaitsForMoreMembers(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.InitialRebalanceDelay = 3 * time.Second })
	req := consumerJoin("g", "")
	req.RequireKnownMemberID = false // a v3 client: no member-id round trip
	a := h.join(req)
	h.advance(time.Second)
	b := h.join(req)
	h.advance(2 * time.Second) // 3 s: a member arrived during the delay, so it extends by 3 s
	if a.done() || b.done() {
		t.Fatal("join completed at the first delay although a member arrived during it")
	}
	h.advance(3 * time.Second)
	if !a.done() || !b.done() || a.res.Generation != 1 || len(a.res.Members) != 2 {
		t.Fatalf("after the extended delay: %+v / %+v", a.res, b.res)
	}
}

func TestSessionExpiryRemovesSilentMember(t *testing.T) {
	h := newHarness(t)
	ids, gen := h.stableGroup("g", 2)
	for i := 0; i < 4; i++ { // 12 s: past the 10 s session of the silent member
		h.advance(3 * time.Second)
		if h.state("g") == "Stable" {
			wantErr(t, "heartbeat", h.heartbeat("g", ids[0], gen), nil)
		}
	}
	if h.state("g") != "PreparingRebalance" || h.c.groups["g"].members[ids[1]] != nil {
		t.Fatalf("state %s, members %v; want the silent member removed and a rebalance", h.state("g"), h.c.groups["g"].order)
	}
	j := h.join(consumerJoin("g", ids[0]))
	if !j.done() || j.res.Generation != gen+1 || len(j.res.Members) != 1 {
		t.Fatalf("rejoin alone: %+v", j.res)
	}
	wantErr(t, "removed member", h.heartbeat("g", ids[1], gen+1), ErrUnknownMemberID)
}

func TestRebalanceTimeoutDropsMembersThatDoNotRejoin(t *testing.T) {
	h := newHarness(t)
	ids, gen := h.stableGroup("g", 2)
	lead := h.join(consumerJoin("g", ids[0])) // the leader rejoining forces a rebalance
	if lead.done() || h.state("g") != "PreparingRebalance" {
		t.Fatalf("leader rejoin: answered=%v state %s", lead.done(), h.state("g"))
	}
	// The follower keeps heartbeating (so its session lives) but never rejoins.
	for i := 0; i < 10; i++ {
		h.advance(3 * time.Second)
		if !lead.done() {
			wantErr(t, "heartbeat", h.heartbeat("g", ids[1], gen), ErrRebalanceInProgress)
		}
	}
	if !lead.done() || lead.res.Generation != gen+1 || len(lead.res.Members) != 1 {
		t.Fatalf("after the 30 s rebalance timeout: %+v", lead.res)
	}
}

func TestUnsyncedMembersAreRemoved(t *testing.T) {
	h := newHarness(t)
	a, j := h.joinNew(consumerJoin("g", ""))
	if h.state("g") != "CompletingRebalance" {
		t.Fatalf("state %s", h.state("g"))
	}
	// It heartbeats (so its session lives) but never sends SyncGroup.
	for i := 0; i < 6; i++ {
		wantErr(t, "heartbeat", h.heartbeat("g", a, j.res.Generation), nil)
		h.advance(5 * time.Second)
	}
	h.advance(time.Second) // 31 s: past the 30 s rebalance timeout
	if h.state("g") != "Empty" {
		t.Fatalf("state %s, want Empty once the member that never synced is gone", h.state("g"))
	}
}

func TestRejoinWhileStable(t *testing.T) {
	h := newHarness(t)
	ids, gen := h.stableGroup("g", 2, "t")
	// Same metadata from a follower: the current generation, no rebalance.
	same := h.join(consumerJoin("g", ids[1], "t"))
	if !same.done() || same.res.Err != nil || same.res.Generation != gen || h.state("g") != "Stable" {
		t.Fatalf("follower rejoin with same metadata: %+v, state %s", same.res, h.state("g"))
	}
	// Changed metadata (a cooperative client after revoking partitions):
	// a rebalance, in which the other member rejoins and both keep going.
	changed := h.join(consumerJoin("g", ids[1], "t", "u"))
	if changed.done() || h.state("g") != "PreparingRebalance" {
		t.Fatalf("changed metadata: answered=%v state %s", changed.done(), h.state("g"))
	}
	lead := h.join(consumerJoin("g", ids[0], "t"))
	if !lead.done() || !changed.done() || lead.res.Generation != gen+1 {
		t.Fatalf("rebalance: %+v / %+v", lead.res, changed.res)
	}
	// A rejoin in CompletingRebalance with unchanged metadata repeats the answer.
	again := h.join(consumerJoin("g", ids[1], "t", "u"))
	if !again.done() || again.res.Generation != gen+1 || h.state("g") != "CompletingRebalance" {
		t.Fatalf("repeat join: %+v state %s", again.res, h.state("g"))
	}
}

func TestGroupMaxSize(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.MaxSize = 1 })
	ids, gen := h.stableGroup("g", 1)
	wantErr(t, "join beyond group.max.size", h.join(consumerJoin("g", "")).res.Err, ErrGroupMaxSizeReached)
	// The member already in keeps its place.
	wantErr(t, "member heartbeat", h.heartbeat("g", ids[0], gen), nil)
}

func TestShutdownAnswersWaiters(t *testing.T) {
	h := newHarness(t)
	ids, _ := h.stableGroup("g", 2)
	j := h.join(consumerJoin("g", ids[0]))
	h.c.shutdown()
	if !j.done() || j.res.Err != ErrNotCoordinator {
		t.Fatalf("waiting join after shutdown: %+v", j.res)
	}
}
