package group

import "time"

// Rebalancing, Kafka's classic protocol:
//
//	Empty ──join──▶ PreparingRebalance ──all joined / timeout──▶ CompletingRebalance
//	  ▲                  ▲      │ no members left                    │ leader's SyncGroup
//	  └──────────────────┼──────┘                                    ▼
//	                     └──── join with new metadata, leave, ◀──── Stable
//	                           session expiry, leader rejoin

// maybePrepareRebalance starts a rebalance unless one is being prepared.
func (c *core) maybePrepareRebalance(g *group, now time.Time, reason string) {
	switch g.state {
	case stateStable, stateCompletingRebalance, stateEmpty:
		c.prepareRebalance(g, now, reason)
	}
}

func (c *core) prepareRebalance(g *group, now time.Time, reason string) {
	if g.state == stateCompletingRebalance {
		// Members already in SyncGroup must rejoin: their assignment is
		// for a generation that will not be.
		c.resetAssignments(g, ErrRebalanceInProgress)
	}
	g.syncDeadline = time.Time{}
	wasEmpty := g.state == stateEmpty
	g.transition(statePreparingRebalance, now)
	c.logger.Info("preparing to rebalance group", "group", g.id, "generation", g.generation, "reason", reason)
	if wasEmpty && c.cfg.InitialRebalanceDelay > 0 {
		// Kafka's InitialDelayedJoin: a new group waits a little for more
		// members instead of rebalancing once per arriving consumer; each
		// arrival extends the wait, up to the rebalance timeout.
		g.initialDelay = true
		g.newMember = false
		g.joinDeadline = now.Add(c.cfg.InitialRebalanceDelay)
		g.delayRemaining = max(g.rebalanceTimeout()-c.cfg.InitialRebalanceDelay, 0)
		return
	}
	g.initialDelay = false
	g.joinDeadline = now.Add(g.rebalanceTimeout())
	c.tryCompleteJoin(g, now)
}

// tryCompleteJoin completes the join phase early once everyone expected
// has joined (never during the initial delay, as in Kafka).
func (c *core) tryCompleteJoin(g *group, now time.Time) {
	if g.state == statePreparingRebalance && !g.initialDelay && g.allJoined() {
		c.completeJoin(g, now)
	}
}

func (c *core) onJoinDeadline(g *group, now time.Time) {
	if g.initialDelay && g.newMember && g.delayRemaining > 0 {
		g.newMember = false
		d := min(c.cfg.InitialRebalanceDelay, g.delayRemaining)
		g.delayRemaining -= d
		g.joinDeadline = now.Add(d)
		return
	}
	c.completeJoin(g, now)
}

// completeJoin is Kafka's onCompleteJoin: dynamic members that did not
// rejoin are dropped, the generation advances, and every joined member is
// answered (the leader with all members' metadata).
func (c *core) completeJoin(g *group, now time.Time) {
	g.initialDelay = false
	for _, m := range g.memberList() {
		if m.joinReply == nil && m.instanceID == nil {
			c.logger.Info("removing member that did not rejoin", "group", g.id, "member", m.id)
			g.remove(m.id)
		}
	}
	if len(g.members) > 0 && !c.electJoinedLeader(g) {
		// Only static members that have not rejoined remain: wait another
		// rebalance timeout for them (or for their sessions to lapse).
		c.logger.Warn("no member rejoined; extending the rebalance", "group", g.id)
		g.joinDeadline = now.Add(g.rebalanceTimeout())
		return
	}
	g.generation++
	if g.generation < 0 {
		g.generation = 1 // Kafka's generation is an int32 that never goes back to 0
	}
	clear(g.toSync)
	if len(g.members) == 0 {
		g.protocol = ""
		g.transition(stateEmpty, now)
		c.logger.Info("group is now empty", "group", g.id, "generation", g.generation)
		if err := c.storeGroup(g, nil, now); err != nil {
			c.logger.Warn("storing empty group", "group", g.id, "err", err)
		}
		return
	}
	g.protocol = g.selectProtocol()
	g.transition(stateCompletingRebalance, now)
	c.logger.Info("stabilized group", "group", g.id, "generation", g.generation,
		"protocol", g.protocol, "members", len(g.members), "leader", g.leader)
	for _, m := range g.memberList() {
		// A static member that has not rejoined keeps its slot (and is
		// in the leader's list) but gets no answer; it must still sync.
		g.replyJoin(m, g.joinResult(m.id))
		m.deadline = now.Add(m.sessionTimeout)
		m.isNew = false
		g.toSync[m.id] = true
	}
	g.syncDeadline = now.Add(g.rebalanceTimeout())
}

// electJoinedLeader keeps the leader if it rejoined, else picks a member
// that did; false when none did.
func (c *core) electJoinedLeader(g *group) bool {
	if l := g.members[g.leader]; l != nil && l.joinReply != nil {
		return true
	}
	for _, m := range g.memberList() {
		if m.joinReply != nil {
			g.leader = m.id
			return true
		}
	}
	return false
}

// onSyncDeadline removes members that never sent SyncGroup in this
// generation (they would hold no assignment forever) and rebalances.
func (c *core) onSyncDeadline(g *group, now time.Time) {
	g.syncDeadline = time.Time{}
	if len(g.toSync) == 0 {
		return
	}
	for _, id := range g.order {
		if g.toSync[id] {
			c.logger.Info("removing member that did not sync", "group", g.id, "member", id)
			m := g.members[id]
			g.replyJoin(m, JoinResult{Err: ErrUnknownMemberID, Generation: -1})
			g.remove(id)
		}
	}
	c.prepareRebalance(g, now, "members did not send SyncGroup in time")
}

// resetAssignments clears every assignment and fails the members waiting
// in SyncGroup with err.
func (c *core) resetAssignments(g *group, err error) {
	for _, m := range g.memberList() {
		m.assignment = nil
		g.replySync(m, SyncResult{Err: err})
	}
}

// removeMember drops a member that left or whose session lapsed and moves
// the group on: a waiting JoinGroup is told UNKNOWN_MEMBER_ID so a live
// client rejoins.
func (c *core) removeMember(g *group, m *member, now time.Time) {
	g.replyJoin(m, JoinResult{Err: ErrUnknownMemberID, Generation: -1})
	g.replySync(m, SyncResult{Err: ErrUnknownMemberID})
	g.remove(m.id)
	switch g.state {
	case stateStable, stateCompletingRebalance:
		c.maybePrepareRebalance(g, now, "removing member "+m.id)
	case statePreparingRebalance:
		c.tryCompleteJoin(g, now)
	}
}

// removePending forgets a handed-out member id that never came back.
func (c *core) removePending(g *group, id string, now time.Time) {
	delete(g.pending, id)
	c.tryCompleteJoin(g, now)
}
