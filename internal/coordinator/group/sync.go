package group

import "time"

// sync handles SyncGroup (Kafka's doSyncGroup). Followers wait until the
// leader's assignment is stored; the leader's request stores it.
func (c *core) sync(now time.Time, req SyncRequest, reply func(SyncResult)) {
	if req.Group == "" {
		reply(SyncResult{Err: ErrInvalidGroupID})
		return
	}
	g := c.groups[req.Group]
	if g == nil {
		reply(SyncResult{Err: ErrUnknownMemberID})
		return
	}
	defer c.schedule(g)
	m := g.members[req.MemberID]
	switch {
	case g.staticFenced(req.InstanceID, req.MemberID):
		reply(SyncResult{Err: ErrFencedInstanceID})
		return
	case m == nil:
		reply(SyncResult{Err: ErrUnknownMemberID})
		return
	case req.Generation != g.generation:
		reply(SyncResult{Err: ErrIllegalGeneration})
		return
	case req.ProtocolType != nil && *req.ProtocolType != g.protocolType,
		req.Protocol != nil && *req.Protocol != g.protocol:
		reply(SyncResult{Err: ErrInconsistentGroupProtocol})
		return
	}
	switch g.state {
	case stateEmpty:
		reply(SyncResult{Err: ErrUnknownMemberID})
	case statePreparingRebalance:
		reply(SyncResult{Err: ErrRebalanceInProgress})
	case stateCompletingRebalance:
		if m.syncReply != nil {
			g.replySync(m, SyncResult{Err: ErrRebalanceInProgress}) // superseded by this retry
		}
		m.syncReply = reply
		delete(g.toSync, m.id)
		if g.isLeader(m.id) {
			c.completeSync(g, now, req.Assignments)
		}
	case stateStable:
		delete(g.toSync, m.id)
		m.deadline = now.Add(m.sessionTimeout)
		reply(c.syncResult(g, m))
	}
}

// completeSync stores the leader's assignment (members it left out get an
// empty one), hands it out and makes the group Stable. If the write fails
// everyone waiting is told the error and the group rebalances.
func (c *core) completeSync(g *group, now time.Time, assignments map[string][]byte) {
	full := make(map[string][]byte, len(g.members))
	for id := range g.members {
		full[id] = assignments[id]
		if full[id] == nil {
			full[id] = []byte{}
		}
	}
	if err := c.storeGroup(g, full, now); err != nil {
		c.resetAssignments(g, err)
		c.maybePrepareRebalance(g, now, "storing the assignment failed")
		return
	}
	for _, m := range g.memberList() {
		m.assignment = full[m.id]
		if m.syncReply != nil {
			m.deadline = now.Add(m.sessionTimeout)
			g.replySync(m, c.syncResult(g, m))
		}
	}
	g.transition(stateStable, now)
	c.logger.Info("group assignment stored", "group", g.id, "generation", g.generation, "members", len(g.members))
}

func (c *core) syncResult(g *group, m *member) SyncResult {
	pt, p := g.protocolType, g.protocol
	return SyncResult{ProtocolType: &pt, Protocol: &p, Assignment: m.assignment}
}

// heartbeat handles Heartbeat: it keeps the member's session alive and
// tells it when a rebalance is under way.
func (c *core) heartbeat(now time.Time, req HeartbeatRequest) error {
	if req.Group == "" {
		return ErrInvalidGroupID
	}
	g := c.groups[req.Group]
	if g == nil {
		return ErrUnknownMemberID
	}
	defer c.schedule(g)
	m := g.members[req.MemberID]
	switch {
	case g.staticFenced(req.InstanceID, req.MemberID):
		return ErrFencedInstanceID
	case m == nil:
		return ErrUnknownMemberID
	case req.Generation != g.generation:
		return ErrIllegalGeneration
	}
	switch g.state {
	case stateEmpty:
		return ErrUnknownMemberID
	case statePreparingRebalance:
		m.deadline = now.Add(m.sessionTimeout)
		return ErrRebalanceInProgress
	}
	m.deadline = now.Add(m.sessionTimeout)
	return nil
}

// leave handles LeaveGroup for each named member. A member named only by
// instance id (admin removal of a static member) is resolved first.
func (c *core) leave(now time.Time, groupID string, members []LeaveMember) ([]LeaveResult, error) {
	if groupID == "" {
		return nil, ErrInvalidGroupID
	}
	out := make([]LeaveResult, len(members))
	g := c.groups[groupID]
	for i, lm := range members {
		out[i] = LeaveResult{MemberID: lm.MemberID, InstanceID: lm.InstanceID, Err: ErrUnknownMemberID}
		if g == nil {
			continue
		}
		id := lm.MemberID
		_, pending := g.pending[id]
		switch {
		case id == "":
			if lm.InstanceID == nil || g.static[*lm.InstanceID] == "" {
				continue
			}
			id = g.static[*lm.InstanceID]
		case pending:
			c.removePending(g, id, now)
			out[i].Err = nil
			continue
		case g.staticFenced(lm.InstanceID, id):
			out[i].Err = ErrFencedInstanceID
			continue
		}
		m := g.members[id]
		if m == nil {
			continue
		}
		c.logger.Info("member left the group", "group", g.id, "member", id, "reason", lm.Reason)
		c.removeMember(g, m, now)
		out[i].Err = nil
	}
	if g != nil {
		c.schedule(g)
	}
	return out, nil
}
