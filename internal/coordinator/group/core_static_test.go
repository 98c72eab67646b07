package group

import (
	"testing"
	"time"
)

// staticJoin is a v5+ join with a group.instance.id: no MEMBER_ID_REQUIRED
// round trip for static members.
func staticJoin(groupID, memberID, instance string) JoinRequest {
	r := consumerJoin(groupID, memberID, "t")
	r.InstanceID = &instance
	r.ClientID = "app"
	return r
}

func stableStatic(t *testing.T, h *harness) (a, b string, gen int32) {
	t.Helper()
	ja := h.join(staticJoin("g", "", "a"))
	jb := h.join(staticJoin("g", "", "b"))
	// a completed alone (no delay); it rejoins to take part with b.
	ja = h.join(staticJoin("g", ja.res.MemberID, "a"))
	if !ja.done() || !jb.done() || ja.res.Generation != jb.res.Generation {
		t.Fatalf("static joins: %+v / %+v", ja.res, jb.res)
	}
	a, b, gen = ja.res.MemberID, jb.res.MemberID, ja.res.Generation
	sb := h.sync(SyncRequest{Group: "g", Generation: gen, MemberID: b, InstanceID: strp("b")})
	h.sync(SyncRequest{Group: "g", Generation: gen, MemberID: a, InstanceID: strp("a"),
		Assignments: map[string][]byte{a: []byte("pa"), b: []byte("pb")}})
	if string(sb.res.Assignment) != "pb" || h.state("g") != "Stable" {
		t.Fatalf("sync: %+v state %s", sb.res, h.state("g"))
	}
	return a, b, gen
}

func strp(s string) *string { return &s }

func TestStaticMemberRestartKeepsAssignmentWithoutRebalance(t *testing.T) {
	h := newHarness(t)
	_, b, gen := stableStatic(t, h)
	// b restarts: a new process, same instance id, no member id.
	j := h.join(staticJoin("g", "", "b"))
	if !j.done() || j.res.Err != nil || j.res.Generation != gen || j.res.MemberID == b || h.state("g") != "Stable" {
		t.Fatalf("static rejoin: %+v state %s; want the same generation, a new member id, no rebalance", j.res, h.state("g"))
	}
	nb := j.res.MemberID
	s := h.sync(SyncRequest{Group: "g", Generation: gen, MemberID: nb, InstanceID: strp("b")})
	if string(s.res.Assignment) != "pb" {
		t.Fatalf("assignment after restart: %+v", s.res)
	}
	// The old process is fenced.
	err := h.c.heartbeat(h.now, HeartbeatRequest{Group: "g", Generation: gen, MemberID: b, InstanceID: strp("b")})
	wantErr(t, "old instance heartbeat", err, ErrFencedInstanceID)
	wantErr(t, "old instance join", h.join(staticJoin("g", b, "b")).res.Err, ErrFencedInstanceID)
	// The new member id is persisted, so a reloaded coordinator fences too.
	last := h.j.recs[len(h.j.recs)-1]
	if d, _, _ := decodeRecord(last.key, last.value); d.group == nil || d.group.Members[1].MemberID != nb {
		t.Fatalf("stored group after static rejoin: %+v", d.group)
	}
}

func TestStaticLeaderRestartSkipsAssignment(t *testing.T) {
	h := newHarness(t)
	a, _, gen := stableStatic(t, h)
	req := staticJoin("g", "", "a")
	req.SupportsSkipAssignment = true // JoinGroup v9
	j := h.join(req)
	if !j.done() || !j.res.SkipAssignment || j.res.LeaderID != j.res.MemberID || len(j.res.Members) != 2 || j.res.Generation != gen {
		t.Fatalf("v9 static leader rejoin: %+v", j.res)
	}
	// Before v9 the old leader id is returned so the client does not assign.
	req.SupportsSkipAssignment = false
	j2 := h.join(req)
	if j2.res.LeaderID != j.res.MemberID || j2.res.Members != nil || j2.res.SkipAssignment {
		t.Fatalf("pre-v9 static leader rejoin: %+v (leader %s)", j2.res, a)
	}
}

func TestStaticRejoinWithNewPreferenceKeepsProtocol(t *testing.T) {
	h := newHarness(t)
	stableStatic(t, h)
	req := staticJoin("g", "", "b")
	req.Protocols = append([]Protocol{{Name: "roundrobin"}}, req.Protocols...)
	h.join(req)
	if h.state("g") != "Stable" {
		t.Fatalf("state %s: a new preferred protocol that cannot win keeps the group stable", h.state("g"))
	}
}

func TestStaticMemberNotRejoiningKeepsSlot(t *testing.T) {
	h := newHarness(t)
	a, b, gen := stableStatic(t, h)
	lead := h.join(staticJoin("g", a, "a")) // leader rejoins: rebalance
	// b keeps heartbeating but does not rejoin; being static it is kept.
	for i := 0; i < 11; i++ {
		h.advance(3 * time.Second)
		if !lead.done() {
			h.c.heartbeat(h.now, HeartbeatRequest{Group: "g", Generation: gen, MemberID: b, InstanceID: strp("b")})
		}
	}
	if !lead.done() || len(lead.res.Members) != 2 {
		t.Fatalf("leader after the rebalance timeout: %+v; the static member keeps its slot", lead.res)
	}
}

func TestLeave(t *testing.T) {
	h := newHarness(t)
	ids, gen := h.stableGroup("g", 2)
	res, err := h.c.leave(h.now, "g", []LeaveMember{{MemberID: ids[1]}, {MemberID: "ghost"}})
	if err != nil || res[0].Err != nil || res[1].Err != ErrUnknownMemberID {
		t.Fatalf("leave: %+v %v", res, err)
	}
	if h.state("g") != "PreparingRebalance" {
		t.Fatalf("state %s after a member left", h.state("g"))
	}
	j := h.join(consumerJoin("g", ids[0]))
	if !j.done() || j.res.Generation != gen+1 || len(j.res.Members) != 1 {
		t.Fatalf("rejoin: %+v", j.res)
	}
	// The last member leaving empties the group (and stores that).
	h.c.leave(h.now, "g", []LeaveMember{{MemberID: ids[0]}})
	if h.state("g") != "Empty" {
		t.Fatalf("state %s after everyone left", h.state("g"))
	}
	last := h.j.recs[len(h.j.recs)-1]
	if d, _, _ := decodeRecord(last.key, last.value); d.group == nil || len(d.group.Members) != 0 || d.group.Generation != gen+2 {
		t.Fatalf("stored empty group: %+v", d.group)
	}
}

func TestLeaveByInstanceID(t *testing.T) {
	h := newHarness(t)
	_, b, _ := stableStatic(t, h)
	res, _ := h.c.leave(h.now, "g", []LeaveMember{{InstanceID: strp("b")}, {InstanceID: strp("zz")}})
	if res[0].Err != nil || res[1].Err != ErrUnknownMemberID || h.c.groups["g"].members[b] != nil {
		t.Fatalf("admin removal by instance id: %+v", res)
	}
	res, _ = h.c.leave(h.now, "g", []LeaveMember{{MemberID: "someone-else", InstanceID: strp("a")}})
	if res[0].Err != ErrFencedInstanceID {
		t.Fatalf("leave with a stale member id: %+v", res)
	}
}
