package group

import "time"

// join handles JoinGroup (Kafka's GroupCoordinator.handleJoinGroup). reply
// is called exactly once, now or when the rebalance completes.
func (c *core) join(now time.Time, req JoinRequest, reply func(JoinResult)) {
	fail := func(err error, memberID string) { reply(JoinResult{Err: err, MemberID: memberID, Generation: -1}) }
	if req.Group == "" {
		fail(ErrInvalidGroupID, req.MemberID)
		return
	}
	if req.SessionTimeout < c.cfg.MinSessionTimeout || req.SessionTimeout > c.cfg.MaxSessionTimeout {
		fail(ErrInvalidSessionTimeout, req.MemberID)
		return
	}
	unknown := req.MemberID == ""
	g := c.getOrCreate(req.Group, unknown, now)
	if g == nil {
		fail(ErrUnknownMemberID, req.MemberID)
		return
	}
	defer c.schedule(g)
	if !c.acceptJoining(g, req.MemberID) {
		// Kafka drops the member too: the group is over its size. Only a
		// member not waiting in a join gets here, so nobody is left
		// without an answer.
		if g.members[req.MemberID] != nil {
			g.remove(req.MemberID)
			c.tryCompleteJoin(g, now)
		}
		fail(ErrGroupMaxSizeReached, "")
		return
	}
	if !g.supports(req.ProtocolType, req.Protocols) {
		fail(ErrInconsistentGroupProtocol, req.MemberID)
		return
	}
	if unknown {
		c.joinNew(g, now, req, reply)
	} else {
		c.joinKnown(g, now, req, reply)
	}
	if g.state == statePreparingRebalance {
		c.tryCompleteJoin(g, now)
	}
}

// acceptJoining is Kafka's group.max.size check: during PreparingRebalance
// against members already waiting (new members beyond the limit are
// refused), otherwise against the group size; known members always pass.
func (c *core) acceptJoining(g *group, memberID string) bool {
	switch g.state {
	case statePreparingRebalance:
		m := g.members[memberID]
		return (m != nil && m.joinReply != nil) || g.awaiting < c.cfg.MaxSize
	case stateCompletingRebalance, stateStable:
		return g.members[memberID] != nil || len(g.members) < c.cfg.MaxSize
	}
	return true
}

func (c *core) joinNew(g *group, now time.Time, req JoinRequest, reply func(JoinResult)) {
	prefix := req.ClientID
	if req.InstanceID != nil {
		prefix = *req.InstanceID
	}
	id := c.newMemberID(prefix)
	switch {
	case req.InstanceID != nil && g.static[*req.InstanceID] != "":
		c.replaceStatic(g, now, g.static[*req.InstanceID], id, req, reply)
	case req.InstanceID == nil && req.RequireKnownMemberID:
		// KIP-394: hand out an id and expect the member back with it
		// within its session timeout; only then does it count.
		g.pending[id] = now.Add(req.SessionTimeout)
		reply(JoinResult{Err: ErrMemberIDRequired, MemberID: id, Generation: -1})
	default:
		c.addMember(g, now, id, req, reply)
	}
}

func (c *core) joinKnown(g *group, now time.Time, req JoinRequest, reply func(JoinResult)) {
	if _, ok := g.pending[req.MemberID]; ok {
		c.addMember(g, now, req.MemberID, req, reply)
		return
	}
	if g.staticFenced(req.InstanceID, req.MemberID) {
		reply(JoinResult{Err: ErrFencedInstanceID, MemberID: req.MemberID, Generation: -1})
		return
	}
	m := g.members[req.MemberID]
	if m == nil || (req.InstanceID != nil && g.static[*req.InstanceID] == "") {
		reply(JoinResult{Err: ErrUnknownMemberID, MemberID: req.MemberID, Generation: -1})
		return
	}
	switch g.state {
	case statePreparingRebalance:
		c.updateMember(g, m, now, req, reply)
	case stateCompletingRebalance:
		if m.sameProtocols(req.Protocols) {
			// It probably missed the JoinGroup answer: repeat it.
			reply(g.joinResult(m.id))
			return
		}
		c.updateMember(g, m, now, req, reply)
		c.maybePrepareRebalance(g, now, "member "+m.id+" changed its metadata")
	case stateStable:
		if g.isLeader(m.id) || !m.sameProtocols(req.Protocols) {
			// The leader rejoins to trigger a rebalance for changes the
			// metadata does not show (new partitions, a new regex match);
			// anyone else rejoins because its subscription or owned
			// partitions (cooperative protocols) changed.
			c.updateMember(g, m, now, req, reply)
			c.maybePrepareRebalance(g, now, "member "+m.id+" rejoined")
			return
		}
		r := g.joinResult(m.id)
		r.Members = nil
		m.deadline = now.Add(m.sessionTimeout)
		reply(r)
	default:
		reply(JoinResult{Err: ErrUnknownMemberID, MemberID: req.MemberID, Generation: -1})
	}
}

// addMember adds a new member that waits in JoinGroup and rebalances.
func (c *core) addMember(g *group, now time.Time, id string, req JoinRequest, reply func(JoinResult)) {
	delete(g.pending, id)
	m := &member{
		id: id, instanceID: req.InstanceID, clientID: req.ClientID, clientHost: req.ClientHost,
		sessionTimeout: req.SessionTimeout, rebalanceTimeout: req.RebalanceTimeout,
		protocols: req.Protocols, joinReply: reply, isNew: true,
		deadline: now.Add(newMemberJoinTimeout),
	}
	g.add(m, req.ProtocolType)
	if g.state == statePreparingRebalance && g.generation == 0 {
		g.newMember = true
	}
	c.maybePrepareRebalance(g, now, "adding new member "+id)
}

// updateMember records a known member's new join: protocols, timeouts and
// the waiting request. A join already waiting for this member (a client
// that gave up and retried) is answered so its handler does not hang.
func (c *core) updateMember(g *group, m *member, now time.Time, req JoinRequest, reply func(JoinResult)) {
	g.setProtocols(m, req.Protocols)
	m.sessionTimeout, m.rebalanceTimeout = req.SessionTimeout, req.RebalanceTimeout
	if m.joinReply != nil {
		g.replyJoin(m, JoinResult{Err: ErrRebalanceInProgress, MemberID: m.id, Generation: -1})
	}
	m.joinReply = reply
	g.awaiting++
}
