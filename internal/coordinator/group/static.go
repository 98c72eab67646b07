package group

import "time"

// Static membership (KIP-345): a member with a group.instance.id keeps its
// slot across restarts. A restarted instance joins with an empty member id;
// it takes over the old member (fencing it: any request it still has
// waiting gets FENCED_INSTANCE_ID), and if the group is Stable and the
// selected protocol would not change, no rebalance happens: it gets the
// old member's assignment back through SyncGroup.

// replaceStatic is Kafka's updateStaticMemberAndRebalance.
func (c *core) replaceStatic(g *group, now time.Time, oldID, newID string, req JoinRequest, reply func(JoinResult)) {
	oldLeader := g.leader
	old := g.members[oldID]
	oldProtocols := old.protocols
	oldSession, oldRebalance := old.sessionTimeout, old.rebalanceTimeout

	c.renameMember(g, old, newID)
	old.deadline = now.Add(req.SessionTimeout)
	c.updateMember(g, old, now, req, reply)
	m := old

	switch g.state {
	case stateStable:
		if g.selectProtocol() != g.protocol {
			c.maybePrepareRebalance(g, now, "static member "+newID+" changed the group's protocol")
			return
		}
		// Persist the new member id so a coordinator that loads the group
		// fences the old instance too.
		if err := c.storeGroup(g, nil, now); err != nil {
			// Undo: the old instance stays the member.
			g.replyJoin(m, JoinResult{Err: err, Generation: -1, LeaderID: oldLeader})
			g.setProtocols(m, oldProtocols)
			m.sessionTimeout, m.rebalanceTimeout = oldSession, oldRebalance
			c.renameMember(g, m, oldID)
			return
		}
		r := g.joinResult(newID)
		if req.SupportsSkipAssignment {
			// KIP-814: the leader learns it leads (so it keeps watching
			// metadata) but must not run the assignor: the group is
			// stable and would ignore a new assignment.
			r.SkipAssignment = g.isLeader(newID)
		} else {
			// Older clients: name the previous leader id, so even a
			// returning leader does not think it must assign.
			r.Members, r.LeaderID = nil, oldLeader
		}
		g.replyJoin(m, r)
	case stateCompletingRebalance:
		c.maybePrepareRebalance(g, now, "static member "+newID+" rejoined during the rebalance")
	case statePreparingRebalance:
		// It waits in the join like everyone else.
	}
}

// renameMember moves a member to a new id, fencing requests the old
// instance still has waiting.
func (c *core) renameMember(g *group, m *member, newID string) {
	oldID := m.id
	g.replyJoin(m, JoinResult{Err: ErrFencedInstanceID, MemberID: oldID, Generation: -1})
	g.replySync(m, SyncResult{Err: ErrFencedInstanceID})
	delete(g.members, oldID)
	m.id = newID
	g.members[newID] = m
	for i, id := range g.order {
		if id == oldID {
			g.order[i] = newID
		}
	}
	if g.leader == oldID {
		g.leader = newID
	}
	if g.toSync[oldID] {
		delete(g.toSync, oldID)
		g.toSync[newID] = true
	}
	if m.instanceID != nil {
		g.static[*m.instanceID] = newID
	}
}
