package group

import (
	"errors"
	"log/slog"
	"time"

	"github.com/strom-project/strom/internal/replica"
	"github.com/strom-project/strom/internal/storage"
)

// kv is one __consumer_offsets record; a nil value is a tombstone.
type kv struct {
	key, value []byte
}

// journal persists records to the group's offsets partition. write
// returns once the records are committed (or failed); the core applies a
// change to memory only after its records are written.
type journal interface {
	write(now time.Time, recs []kv) error
}

// core is the state machine of one __consumer_offsets partition: every
// group that hashes to it, their members and offsets. It does no I/O but
// through its journal, starts no goroutines and reads no clock: callers
// pass now, and waiting requests are callbacks the core calls exactly once
// (on success, error, or shutdown). It is not safe for concurrent use; a
// shard's goroutine owns it.
type core struct {
	cfg         Config
	j           journal
	newMemberID func(prefix string) string
	logger      *slog.Logger

	groups     map[string]*group
	timers     timerHeap
	nextExpiry time.Time // next offset-expiry pass; zero: never

	// txnOffsets are transactional offsets awaiting their marker:
	// producer id → group → partition (txn_offsets.go).
	txnOffsets map[int64]map[string]map[TopicPartition]*offset
}

func newCore(cfg Config, j journal, newMemberID func(string) string, logger *slog.Logger) *core {
	return &core{cfg: cfg, j: j, newMemberID: newMemberID, logger: logger, groups: map[string]*group{}}
}

// start arms the periodic offset-expiry pass; a core that is only loading
// has none.
func (c *core) start(now time.Time) {
	for _, g := range c.groups {
		c.schedule(g)
	}
	if c.cfg.RetentionCheckInterval > 0 {
		c.nextExpiry = now.Add(c.cfg.RetentionCheckInterval)
	}
}

// getOrCreate returns the group, creating an Empty one when create is set.
func (c *core) getOrCreate(id string, create bool, now time.Time) *group {
	g := c.groups[id]
	if g == nil && create {
		g = newGroup(id, now)
		c.groups[id] = g
	}
	return g
}

// drop forgets a group (Dead).
func (c *core) drop(g *group) {
	g.state = stateDead
	if c.groups[g.id] == g {
		delete(c.groups, g.id)
	}
}

// shutdown answers every waiting request with NOT_COORDINATOR: the
// partition moved (or the broker stops) and clients must find the new
// coordinator.
func (c *core) shutdown() {
	for _, g := range c.groups {
		for _, m := range g.memberList() {
			g.replyJoin(m, JoinResult{Err: ErrNotCoordinator, MemberID: m.id, Generation: -1})
			g.replySync(m, SyncResult{Err: ErrNotCoordinator})
		}
	}
	c.groups = map[string]*group{}
	c.timers = nil
}

// writeErr maps a failed append to what the client is told (Kafka's
// GroupMetadataManager mapping): a lost leadership or broken disk means
// another broker must coordinate; an oversized batch is the request's
// fault; anything else is retriable.
func writeErr(err error, offsets bool) error {
	switch {
	case errors.Is(err, storage.ErrRecordTooLarge):
		if offsets {
			return ErrInvalidCommitOffsetSize
		}
		return ErrUnknownServer
	case errors.Is(err, storage.ErrLogClosed), errors.Is(err, replica.ErrNotLeader),
		errors.Is(err, replica.ErrUnknownTopicOrPartition), errors.Is(err, storage.ErrStorage):
		return ErrNotCoordinator
	}
	return ErrCoordinatorNotAvailable
}

// storeGroup writes the group's metadata record (members with their
// subscription for the selected protocol and their assignment).
func (c *core) storeGroup(g *group, assignments map[string][]byte, now time.Time) error {
	if err := c.j.write(now, []kv{groupRecord(g, assignments)}); err != nil {
		c.logger.Warn("writing group metadata failed", "group", g.id, "err", err)
		return writeErr(err, false)
	}
	return nil
}
