package group

import (
	"sort"
	"strings"
	"time"
)

// describe is DescribeGroups for one group. Metadata and assignments are
// shown only for a Stable group, as Kafka does.
func (c *core) describe(groupID string) GroupDescription {
	g := c.groups[groupID]
	if g == nil {
		return GroupDescription{Group: groupID, State: stateDead.String()}
	}
	d := GroupDescription{Group: g.id, Exists: true, State: g.state.String(), ProtocolType: g.protocolType}
	if g.state == stateStable {
		d.Protocol = g.protocol
	}
	d.Members = []MemberDescription{}
	for _, m := range g.memberList() {
		md := MemberDescription{MemberID: m.id, InstanceID: m.instanceID, ClientID: m.clientID, ClientHost: m.clientHost,
			Metadata: []byte{}, Assignment: []byte{}}
		if g.state == stateStable {
			md.Metadata, md.Assignment = m.metadataFor(g.protocol), m.assignment
		}
		d.Members = append(d.Members, md)
	}
	return d
}

// list is ListGroups for this partition: groups whose state matches one of
// states (case-insensitively; none means all), sorted by id.
func (c *core) list(states []string) []GroupListing {
	var out []GroupListing
	for _, g := range c.groups {
		st := g.state.String()
		if len(states) > 0 && !containsFold(states, st) {
			continue
		}
		out = append(out, GroupListing{Group: g.id, ProtocolType: g.protocolType, State: st})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Group < out[j].Group })
	return out
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// deleteGroup is DeleteGroups for one group: only an Empty group can go;
// its offsets and metadata are tombstoned.
func (c *core) deleteGroup(now time.Time, groupID string) error {
	g := c.groups[groupID]
	switch {
	case g == nil:
		return ErrGroupIDNotFound
	case g.state != stateEmpty:
		return ErrNonEmptyGroup
	}
	parts := make([]TopicPartition, 0, len(g.offsets))
	for tp := range g.offsets {
		parts = append(parts, tp)
	}
	if pending := c.pendingOnlyTxnOffsets(g); len(pending) > 0 {
		// Offsets a transaction has pending go too, as in Kafka: a
		// tombstone drops them on replay, and the transaction's commit
		// finds nothing left to make visible.
		recs := make([]kv, len(pending))
		for i, tp := range pending {
			recs[i] = kv{key: offsetKey(g.id, tp)}
		}
		if err := c.j.write(now, recs); err != nil {
			return writeErr(err, false)
		}
		for _, tp := range pending {
			c.dropPendingTxnOffset(g.id, tp)
		}
	}
	clear(g.pending)
	if err := c.removeOffsets(g, now, parts); err != nil {
		return err
	}
	c.drop(g) // removeOffsets already dropped it; harmless twice
	return nil
}

// committed lists every committed offset of the named groups (all when
// none), for lag reporting.
func (c *core) committed(groups []string) []Lag {
	var out []Lag
	add := func(g *group) {
		for tp, o := range g.offsets {
			out = append(out, Lag{Group: g.id, Topic: tp.Topic, Partition: tp.Partition, Committed: o.offset})
		}
	}
	if len(groups) == 0 {
		for _, g := range c.groups {
			add(g)
		}
	}
	for _, id := range groups {
		if g := c.groups[id]; g != nil {
			add(g)
		}
	}
	return out
}
