package group

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// TestRandomOperationsKeepInvariants drives a core with seeded random
// joins, syncs, heartbeats, leaves, commits and clock jumps from a handful
// of clients (dynamic and static), checking the group's bookkeeping after
// every step and that no request is answered twice.
func TestRandomOperationsKeepInvariants(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			h := newHarness(t, func(c *Config) {
				c.InitialRebalanceDelay = time.Duration(seed%3) * time.Second
				c.MaxSize = 4
			})
			rng := rand.New(rand.NewPCG(seed, 7))
			type client struct {
				member   string
				instance *string
				gen      int32
			}
			clients := make([]*client, 6)
			for i := range clients {
				clients[i] = &client{}
				if i%3 == 0 {
					clients[i].instance = strp(fmt.Sprint("inst-", i))
				}
			}
			for step := 0; step < 1500; step++ {
				cl := clients[rng.IntN(len(clients))]
				switch op := rng.IntN(10); {
				case op < 3:
					req := consumerJoin("g", cl.member, "t")
					req.InstanceID = cl.instance
					req.SessionTimeout = time.Duration(6+rng.IntN(5)) * time.Second
					r := h.join(req)
					if r.done() {
						if r.res.MemberID != "" {
							cl.member = r.res.MemberID
						}
						if r.res.Err == nil {
							cl.gen = r.res.Generation
						} else if r.res.Err == ErrUnknownMemberID {
							cl.member = ""
						}
					}
				case op < 5:
					if g := h.c.groups["g"]; g != nil && rng.IntN(2) == 0 {
						for _, c := range clients { // favour the leader, so groups get Stable
							if c.member != "" && c.member == g.leader {
								cl = c
							}
						}
					}
					req := SyncRequest{Group: "g", Generation: cl.gen, MemberID: cl.member, InstanceID: cl.instance}
					if g := h.c.groups["g"]; g != nil && g.leader == cl.member {
						req.Assignments = map[string][]byte{cl.member: []byte("x")}
					}
					h.sync(req)
				case op < 7:
					h.c.heartbeat(h.now, HeartbeatRequest{Group: "g", Generation: cl.gen, MemberID: cl.member, InstanceID: cl.instance})
				case op < 8:
					h.c.leave(h.now, "g", []LeaveMember{{MemberID: cl.member, InstanceID: cl.instance}})
					cl.member = ""
				case op < 9:
					h.c.commit(h.now, commitReq("g", cl.member, cl.gen, co("t", int32(rng.IntN(3)), int64(step))))
				default:
					h.advance(time.Duration(rng.IntN(12000)) * time.Millisecond)
				}
				checkInvariants(t, h, step)
			}
		})
	}
}

func checkInvariants(t *testing.T, h *harness, step int) {
	t.Helper()
	g := h.c.groups["g"]
	if g == nil {
		return
	}
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("step %d, state %s: %s", step, g.state, fmt.Sprintf(format, args...))
	}
	awaiting, votes := 0, map[string]int{}
	for id, m := range g.members {
		if m.id != id {
			fail("member %s stored under %s", m.id, id)
		}
		if m.joinReply != nil {
			awaiting++
		}
		for _, p := range m.protocols {
			votes[p.Name]++
		}
		if m.instanceID != nil && g.static[*m.instanceID] != id {
			fail("static member %s not mapped from %s", id, *m.instanceID)
		}
		if m.syncReply != nil && g.state != stateCompletingRebalance {
			fail("member %s waits in SyncGroup", id)
		}
	}
	if awaiting != g.awaiting {
		fail("awaiting %d, counted %d", g.awaiting, awaiting)
	}
	for p, n := range votes {
		if g.votes[p] != n {
			fail("votes for %s: %d, counted %d", p, g.votes[p], n)
		}
	}
	if len(g.order) != len(g.members) {
		fail("order %v vs %d members", g.order, len(g.members))
	}
	for inst, id := range g.static {
		if g.members[id] == nil {
			fail("static %s maps to missing member %s", inst, id)
		}
	}
	for id := range g.toSync {
		if g.members[id] == nil {
			fail("member %s to sync is not a member", id)
		}
	}
	if (g.leader == "") != (len(g.members) == 0) || (g.leader != "" && g.members[g.leader] == nil) {
		fail("leader %q with %d members", g.leader, len(g.members))
	}
	if g.state == stateEmpty && len(g.members) > 0 {
		fail("Empty with members")
	}
	if (g.state == stateStable || g.state == stateCompletingRebalance) && (len(g.members) == 0 || g.protocol == "") {
		fail("no members or protocol")
	}
	// Kafka enforces group.max.size on members waiting to join: while
	// preparing, members that will not rejoin may still be counted.
	if g.awaiting > h.c.cfg.MaxSize {
		fail("%d joining members over group.max.size", g.awaiting)
	}
	if at, ok := g.nextDeadline(); ok && g.queued.IsZero() {
		fail("deadline %v not queued", at)
	}
}
