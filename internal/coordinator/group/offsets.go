package group

import (
	"slices"
	"time"
)

// commit handles OffsetCommit; the result has one error (or nil) per
// req.Offsets entry.
func (c *core) commit(now time.Time, req CommitRequest) []error {
	out := make([]error, len(req.Offsets))
	fill := func(err error) []error {
		for i := range out {
			out[i] = err
		}
		return out
	}
	g := c.groups[req.Group]
	if g == nil {
		if req.Generation >= 0 {
			// A generation from a group this coordinator does not know.
			return fill(ErrIllegalGeneration)
		}
		// Offsets-only use (no group management): the group is created
		// Empty, as Kafka does.
		g = c.getOrCreate(req.Group, true, now)
	}
	defer c.schedule(g)
	if err := validateCommit(g, req); err != nil {
		return fill(err)
	}
	switch g.state {
	case stateCompletingRebalance:
		// The member has the new generation but no assignment yet.
		return fill(ErrRebalanceInProgress)
	case stateStable, statePreparingRebalance:
		// Allowed while preparing: the heartbeat tells the member to
		// rejoin; it commits what it consumed first.
		m := g.members[req.MemberID]
		m.deadline = now.Add(m.sessionTimeout)
	}
	return c.storeOffsets(g, now, req, out)
}

// validateCommit is Kafka's validateOffsetCommit: a member commits with
// its member id and generation; generation -1 without member or instance
// id is an outside commit, allowed only while the group has no members.
func validateCommit(g *group, req CommitRequest) error {
	if req.Generation >= 0 || req.MemberID != "" || req.InstanceID != nil {
		switch {
		case g.staticFenced(req.InstanceID, req.MemberID):
			return ErrFencedInstanceID
		case g.members[req.MemberID] == nil:
			return ErrUnknownMemberID
		case req.Generation != g.generation:
			return ErrIllegalGeneration
		}
		return nil
	}
	if g.state != stateEmpty {
		return ErrUnknownMemberID
	}
	return nil
}

func (c *core) storeOffsets(g *group, now time.Time, req CommitRequest, out []error) []error {
	nowMs := now.UnixMilli()
	var (
		recs []kv
		idx  []int
		vals []*offset
	)
	for i, o := range req.Offsets {
		meta := ""
		if o.Metadata != nil {
			meta = *o.Metadata
		}
		if len(meta) > c.cfg.MaxMetadataBytes {
			out[i] = ErrOffsetMetadataTooLarge
			continue
		}
		v := &offset{offset: o.Offset, leaderEpoch: o.LeaderEpoch, metadata: meta, commitTime: nowMs, expireTime: -1}
		if o.Timestamp >= 0 {
			v.commitTime = o.Timestamp // v1's client-chosen commit timestamp
		}
		if req.RetentionMs >= 0 {
			v.expireTime = nowMs + req.RetentionMs
		}
		recs = append(recs, offsetRecord(g.id, o.TopicPartition, v))
		idx, vals = append(idx, i), append(vals, v)
	}
	if len(recs) == 0 {
		return out
	}
	if err := c.j.write(now, recs); err != nil {
		c.logger.Warn("writing offsets failed", "group", g.id, "err", err)
		err = writeErr(err, true)
		for _, i := range idx {
			out[i] = err
		}
		return out
	}
	for k, i := range idx {
		g.offsets[req.Offsets[i].TopicPartition] = vals[k]
	}
	return out
}

// fetch handles OffsetFetch for one group: parts nil means every committed
// partition. Unknown partitions (and groups) answer offset -1. Offsets are
// returned whatever the group's state: a group may use Kafka only to store
// offsets.
func (c *core) fetch(groupID string, parts []TopicPartition) []OffsetData {
	g := c.groups[groupID]
	if parts == nil {
		if g == nil {
			return []OffsetData{}
		}
		parts = make([]TopicPartition, 0, len(g.offsets))
		for tp := range g.offsets {
			parts = append(parts, tp)
		}
		slices.SortFunc(parts, compareTP)
	}
	out := make([]OffsetData, len(parts))
	for i, tp := range parts {
		out[i] = OffsetData{TopicPartition: tp, Offset: -1, LeaderEpoch: -1, Unstable: c.hasPendingTxnOffset(groupID, tp)}
		if g == nil {
			continue
		}
		if o := g.offsets[tp]; o != nil {
			out[i].Offset, out[i].LeaderEpoch, out[i].Metadata = o.offset, o.leaderEpoch, o.metadata
		}
	}
	return out
}

func compareTP(a, b TopicPartition) int {
	if a.Topic != b.Topic {
		if a.Topic < b.Topic {
			return -1
		}
		return 1
	}
	return int(a.Partition) - int(b.Partition)
}

// deleteOffsets handles OffsetDelete: an Empty group loses any offsets; a
// consumer group with members keeps those of topics it subscribes to
// (GROUP_SUBSCRIBED_TO_TOPIC); other groups with members are refused.
func (c *core) deleteOffsets(now time.Time, groupID string, parts []TopicPartition) ([]error, error) {
	g := c.groups[groupID]
	if g == nil {
		return nil, ErrGroupIDNotFound
	}
	out := make([]error, len(parts))
	var subscribed map[string]bool
	switch {
	case g.state == stateEmpty:
	case g.protocolType == "consumer":
		subscribed = g.subscribedTopics()
	default:
		return nil, ErrNonEmptyGroup
	}
	var del []TopicPartition
	for i, tp := range parts {
		if subscribed[tp.Topic] {
			out[i] = ErrGroupSubscribedToTopic
			continue
		}
		del = append(del, tp)
	}
	if err := c.removeOffsets(g, now, del); err != nil {
		for i := range out {
			if out[i] == nil {
				out[i] = err
			}
		}
	}
	return out, nil
}

// removeOffsets tombstones and forgets offsets (those present), and the
// group itself when that leaves it Empty with nothing stored, as Kafka's
// cleanupGroupMetadata does.
func (c *core) removeOffsets(g *group, now time.Time, parts []TopicPartition) error {
	var recs []kv
	var gone []TopicPartition
	for _, tp := range parts {
		if g.offsets[tp] != nil {
			recs = append(recs, kv{key: offsetKey(g.id, tp)})
			gone = append(gone, tp)
		}
	}
	// A member id handed out moments ago (KIP-394) keeps the group.
	dead := g.state == stateEmpty && len(g.offsets) == len(gone) && len(g.pending) == 0 && !c.hasPendingTxnOffsets(g.id)
	if dead && g.generation > 0 {
		// A generation-0 group only ever stored offsets: it has no
		// metadata record to delete.
		recs = append(recs, kv{key: groupKey(g.id)})
	}
	if len(recs) > 0 {
		if err := c.j.write(now, recs); err != nil {
			c.logger.Warn("writing offset tombstones failed", "group", g.id, "err", err)
			return writeErr(err, false)
		}
	}
	for _, tp := range gone {
		delete(g.offsets, tp)
		c.dropPendingTxnOffset(g.id, tp)
	}
	if dead {
		c.drop(g)
	}
	return nil
}

// expireOffsets is the periodic retention pass (Kafka 2.1+ semantics,
// KIP-211): an Empty group's offsets expire offsets.retention.minutes after
// it became Empty; a stable consumer group's offsets of topics it no
// longer subscribes to expire that long after their commit; offsets-only
// groups expire per commit; commits made with an explicit retention
// (v2–4) expire at their own time. A group left Empty and without offsets
// is deleted.
func (c *core) expireOffsets(now time.Time) {
	nowMs := now.UnixMilli()
	retention := c.cfg.Retention.Milliseconds()
	for _, g := range c.groups {
		var base func(o *offset) int64
		var keep map[string]bool
		switch {
		case g.protocolType == "":
			base = func(o *offset) int64 { return o.commitTime }
		case g.state == stateEmpty:
			emptySince := g.stateTime.UnixMilli()
			base = func(*offset) int64 { return emptySince }
		case g.protocolType == "consumer" && g.state == stateStable:
			if keep = g.subscribedTopics(); keep == nil {
				continue
			}
			base = func(o *offset) int64 { return o.commitTime }
		default:
			continue
		}
		var expired []TopicPartition
		for tp, o := range g.offsets {
			if keep[tp.Topic] || c.hasPendingTxnOffset(g.id, tp) {
				// Kafka keeps an offset a transaction is about to
				// replace.
				continue
			}
			if (o.expireTime >= 0 && nowMs >= o.expireTime) || (o.expireTime < 0 && nowMs-base(o) >= retention) {
				expired = append(expired, tp)
			}
		}
		slices.SortFunc(expired, compareTP)
		if len(expired) > 0 || (g.state == stateEmpty && len(g.offsets) == 0) {
			if len(expired) > 0 {
				c.logger.Info("expiring offsets", "group", g.id, "partitions", len(expired))
			}
			if err := c.removeOffsets(g, now, expired); err != nil {
				c.logger.Warn("expiring offsets failed; retrying at the next pass", "group", g.id, "err", err)
			}
		}
	}
}
