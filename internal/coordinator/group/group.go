package group

import (
	"bytes"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// state is a classic group's state (Kafka's GroupState).
type state int8

const (
	stateEmpty               state = 0 // no members; offsets may remain
	statePreparingRebalance  state = 1 // waiting for members to (re)join
	stateCompletingRebalance state = 2 // joined; waiting for the leader's SyncGroup
	stateStable              state = 3 // assignments handed out
	stateDead                state = 4 // removed; never stored in the group map
)

func (s state) String() string {
	switch s {
	case stateEmpty:
		return "Empty"
	case statePreparingRebalance:
		return "PreparingRebalance"
	case stateCompletingRebalance:
		return "CompletingRebalance"
	case stateStable:
		return "Stable"
	}
	return "Dead"
}

// newMemberJoinTimeout bounds how long a member that has never completed a
// join may wait in one (Kafka's NewMemberJoinTimeoutMs): a client that gave
// up and retried would otherwise leave a defunct member in every rebalance.
const newMemberJoinTimeout = 5 * time.Minute

// member is one group member.
type member struct {
	id               string
	instanceID       *string
	clientID         string
	clientHost       string
	sessionTimeout   time.Duration
	rebalanceTimeout time.Duration
	protocols        []Protocol
	assignment       []byte

	// joinReply / syncReply are set while the member waits in JoinGroup /
	// SyncGroup; the coordinator calls each exactly once.
	joinReply func(JoinResult)
	syncReply func(SyncResult)
	// isNew: joined in the current rebalance and not yet answered.
	isNew bool
	// deadline is when the member's session ends without a heartbeat.
	deadline time.Time
}

func (m *member) metadataFor(protocol string) []byte {
	for _, p := range m.protocols {
		if p.Name == protocol {
			return p.Metadata
		}
	}
	return nil
}

// sameProtocols is Kafka's MemberMetadata.matches: same names, same
// metadata, same order.
func (m *member) sameProtocols(ps []Protocol) bool {
	return slices.EqualFunc(m.protocols, ps, func(a, b Protocol) bool {
		return a.Name == b.Name && bytes.Equal(a.Metadata, b.Metadata)
	})
}

// expired reports whether the member's session has lapsed. Members waiting
// in a join or sync are kept alive (their connection is busy with it),
// except new members, which are bounded by newMemberJoinTimeout.
func (m *member) expired(now time.Time) bool {
	if !m.isNew && (m.joinReply != nil || m.syncReply != nil) {
		return false
	}
	return !now.Before(m.deadline)
}

// offset is one committed offset.
type offset struct {
	offset      int64
	leaderEpoch int32
	metadata    string
	commitTime  int64 // ms
	expireTime  int64 // ms; -1 unless committed with a retention time (v2–4)
}

// group is one consumer group: its membership state machine and its
// committed offsets. It is owned by its partition's core.
type group struct {
	id           string
	state        state
	stateTime    time.Time // when state last changed (currentStateTimestamp)
	protocolType string    // "" for groups that only store offsets
	protocol     string    // selected protocol; "" when none
	generation   int32
	leader       string

	members   map[string]*member
	order     []string             // member ids in join order: deterministic leader choice and responses
	pending   map[string]time.Time // KIP-394 member ids handed out, until their session ends
	static    map[string]string    // instance id → member id
	votes     map[string]int       // protocol name → members supporting it
	awaiting  int                  // members waiting in JoinGroup
	toSync    map[string]bool      // members that have not sent SyncGroup this generation
	offsets   map[TopicPartition]*offset
	newMember bool // a member joined during the initial delay (Kafka's newMemberAdded)

	// Rebalance timing. joinDeadline is when PreparingRebalance completes
	// regardless of stragglers; during the initial delay (a group that was
	// Empty) it is extended while members keep arriving, up to
	// delayRemaining more.
	joinDeadline   time.Time
	initialDelay   bool
	delayRemaining time.Duration
	syncDeadline   time.Time

	// queued is the earliest deadline this group has in the core's timer
	// heap (zero: none).
	queued time.Time
}

func newGroup(id string, now time.Time) *group {
	return &group{
		id: id, state: stateEmpty, stateTime: now,
		members: map[string]*member{}, pending: map[string]time.Time{},
		static: map[string]string{}, votes: map[string]int{}, toSync: map[string]bool{},
		offsets: map[TopicPartition]*offset{},
	}
}

func (g *group) transition(s state, now time.Time) {
	g.state, g.stateTime = s, now
}

func (g *group) isLeader(id string) bool { return g.leader != "" && g.leader == id }

// add makes m a member; the first member fixes the protocol type and the
// first member without a leader becomes it.
func (g *group) add(m *member, protocolType string) {
	if len(g.members) == 0 {
		g.protocolType = protocolType
	}
	g.members[m.id] = m
	g.order = append(g.order, m.id)
	for _, p := range m.protocols {
		g.votes[p.Name]++
	}
	if m.joinReply != nil {
		g.awaiting++
	}
	if m.instanceID != nil {
		g.static[*m.instanceID] = m.id
	}
	if g.leader == "" {
		g.leader = m.id
	}
}

// remove drops a member (its static mapping and pending sync too); a
// removed leader is replaced by the longest-standing member.
func (g *group) remove(id string) {
	m := g.members[id]
	if m == nil {
		return
	}
	delete(g.members, id)
	g.order = slices.DeleteFunc(g.order, func(s string) bool { return s == id })
	for _, p := range m.protocols {
		if g.votes[p.Name]--; g.votes[p.Name] <= 0 {
			delete(g.votes, p.Name)
		}
	}
	if m.joinReply != nil {
		g.awaiting--
	}
	if m.instanceID != nil && g.static[*m.instanceID] == id {
		delete(g.static, *m.instanceID)
	}
	delete(g.toSync, id)
	if g.leader == id {
		g.leader = ""
		if len(g.order) > 0 {
			g.leader = g.order[0]
		}
	}
}

// setProtocols replaces a member's protocols, keeping the vote counts.
func (g *group) setProtocols(m *member, ps []Protocol) {
	for _, p := range m.protocols {
		if g.votes[p.Name]--; g.votes[p.Name] <= 0 {
			delete(g.votes, p.Name)
		}
	}
	m.protocols = ps
	for _, p := range ps {
		g.votes[p.Name]++
	}
}

// supports is Kafka's supportsProtocols: an empty group takes any
// non-empty protocol set; otherwise the type must match and one protocol
// must be supported by every member.
func (g *group) supports(protocolType string, ps []Protocol) bool {
	if g.state == stateEmpty && len(g.members) == 0 {
		return protocolType != "" && len(ps) > 0
	}
	if protocolType != g.protocolType {
		return false
	}
	for _, p := range ps {
		if g.votes[p.Name] == len(g.members) {
			return true
		}
	}
	return false
}

// selectProtocol picks, among protocols every member supports, the one
// most members prefer (each votes for its first supported candidate).
// Kafka breaks ties arbitrarily; here the smallest name wins, so the
// choice is deterministic.
func (g *group) selectProtocol() string {
	counts := map[string]int{}
	for _, id := range g.order {
		for _, p := range g.members[id].protocols {
			if g.votes[p.Name] == len(g.members) {
				counts[p.Name]++
				break
			}
		}
	}
	best, bestN := "", -1
	for name, n := range counts {
		if n > bestN || (n == bestN && name < best) {
			best, bestN = name, n
		}
	}
	return best
}

// allJoined is Kafka's hasAllMembersJoined: every member waits in
// JoinGroup and no handed-out member id is still expected.
func (g *group) allJoined() bool {
	return g.awaiting == len(g.members) && len(g.pending) == 0
}

func (g *group) rebalanceTimeout() time.Duration {
	var d time.Duration
	for _, m := range g.members {
		d = max(d, m.rebalanceTimeout)
	}
	return d
}

// staticFenced reports whether instanceID is held by another member id.
func (g *group) staticFenced(instanceID *string, memberID string) bool {
	if instanceID == nil {
		return false
	}
	cur, ok := g.static[*instanceID]
	return ok && cur != memberID
}

// subscribedTopics is the union of the topics consumer-protocol members
// subscribe to, or nil (unknown) when the group is not a consumer group or
// a subscription does not decode. It drives offset expiry and
// OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC.
func (g *group) subscribedTopics() map[string]bool {
	if g.protocolType != "consumer" || g.protocol == "" {
		return nil
	}
	topics := map[string]bool{}
	for _, m := range g.members {
		var meta kmsg.ConsumerMemberMetadata
		if err := meta.ReadFrom(m.metadataFor(g.protocol)); err != nil {
			return nil
		}
		for _, t := range meta.Topics {
			topics[t] = true
		}
	}
	return topics
}

// memberList returns the members in join order.
func (g *group) memberList() []*member {
	out := make([]*member, 0, len(g.order))
	for _, id := range g.order {
		out = append(out, g.members[id])
	}
	return out
}

// joinMembers is the leader's view: every member's metadata for the
// selected protocol.
func (g *group) joinMembers() []JoinMember {
	out := make([]JoinMember, 0, len(g.order))
	for _, m := range g.memberList() {
		out = append(out, JoinMember{MemberID: m.id, InstanceID: m.instanceID, Metadata: m.metadataFor(g.protocol)})
	}
	return out
}

// joinResult is a successful JoinGroup answer for member id at the
// current generation.
func (g *group) joinResult(id string) JoinResult {
	r := JoinResult{MemberID: id, Generation: g.generation, LeaderID: g.leader}
	pt, p := g.protocolType, g.protocol
	r.ProtocolType, r.Protocol = &pt, &p
	if g.isLeader(id) {
		r.Members = g.joinMembers()
	}
	return r
}

// replyJoin answers a member waiting in JoinGroup.
func (g *group) replyJoin(m *member, r JoinResult) {
	if m.joinReply == nil {
		return
	}
	f := m.joinReply
	m.joinReply = nil
	g.awaiting--
	f(r)
}

// replySync answers a member waiting in SyncGroup.
func (g *group) replySync(m *member, r SyncResult) {
	if m.syncReply == nil {
		return
	}
	f := m.syncReply
	m.syncReply = nil
	f(r)
}

// nextDeadline is the earliest time the group needs attention.
func (g *group) nextDeadline() (time.Time, bool) {
	var at time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && (at.IsZero() || t.Before(at)) {
			at = t
		}
	}
	for _, t := range g.pending {
		consider(t)
	}
	for _, m := range g.members {
		if m.isNew || (m.joinReply == nil && m.syncReply == nil) {
			consider(m.deadline)
		}
	}
	if g.state == statePreparingRebalance {
		consider(g.joinDeadline)
	}
	if g.state == stateCompletingRebalance || g.state == stateStable {
		consider(g.syncDeadline)
	}
	return at, !at.IsZero()
}
