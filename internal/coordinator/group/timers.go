package group

import (
	"container/heap"
	"time"
)

// The core has no goroutines and no real timers: every deadline lives in
// one min-heap of (time, group) entries and the owner calls tick(now) when
// the earliest is due (tests call it with a fake clock). A group keeps at
// most one live entry, its earliest deadline (group.queued); an entry whose
// time no longer matches is stale and skipped. Deadlines that move later
// (heartbeats) push nothing: the group is looked at when the old entry
// fires and re-queued for its new earliest deadline.

type timerEntry struct {
	at time.Time
	g  *group
}

type timerHeap []timerEntry

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(timerEntry)) }
func (h *timerHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = timerEntry{}
	*h = old[:len(old)-1]
	return e
}

// schedule queues g's earliest deadline if it is earlier than the one
// already queued.
func (c *core) schedule(g *group) {
	at, ok := g.nextDeadline()
	if !ok || c.groups[g.id] != g {
		return
	}
	if g.queued.IsZero() || at.Before(g.queued) {
		heap.Push(&c.timers, timerEntry{at: at, g: g})
		g.queued = at
	}
}

// nextDeadline is when tick next has work: the earliest group deadline or
// the next offset-expiry pass.
func (c *core) nextDeadline() time.Time {
	at := c.nextExpiry
	if len(c.timers) > 0 && (at.IsZero() || c.timers[0].at.Before(at)) {
		at = c.timers[0].at
	}
	return at
}

// tick runs everything due at now.
func (c *core) tick(now time.Time) {
	for len(c.timers) > 0 && !c.timers[0].at.After(now) {
		e := heap.Pop(&c.timers).(timerEntry)
		g := e.g
		if c.groups[g.id] != g || !g.queued.Equal(e.at) {
			continue // stale: the group is gone or was re-queued earlier
		}
		g.queued = time.Time{}
		c.onTimer(g, now)
		c.schedule(g)
	}
	if !c.nextExpiry.IsZero() && !now.Before(c.nextExpiry) {
		c.expireOffsets(now)
		c.nextExpiry = now.Add(c.cfg.RetentionCheckInterval)
	}
}

// onTimer handles every lapsed deadline of g.
func (c *core) onTimer(g *group, now time.Time) {
	for id, at := range g.pending {
		if !now.Before(at) {
			c.removePending(g, id, now)
		}
	}
	for _, m := range g.memberList() {
		if g.members[m.id] == m && m.expired(now) {
			c.logger.Info("member session expired; removing it from the group", "group", g.id, "member", m.id)
			c.removeMember(g, m, now)
		}
	}
	if g.state == statePreparingRebalance && !g.joinDeadline.IsZero() && !now.Before(g.joinDeadline) {
		c.onJoinDeadline(g, now)
	}
	if (g.state == stateCompletingRebalance || g.state == stateStable) &&
		!g.syncDeadline.IsZero() && !now.Before(g.syncDeadline) {
		c.onSyncDeadline(g, now)
	}
}
