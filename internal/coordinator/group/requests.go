package group

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sort"
	"time"
)

// The request methods below are what the API layer calls. Each validates
// the group id, routes to the group's shard and runs there; JoinGroup and
// SyncGroup may then wait for the rest of the group.

// Join handles JoinGroup; it returns when the member's join completes or
// ctx ends.
func (c *Coordinator) Join(ctx context.Context, req JoinRequest) JoinResult {
	fail := func(err error) JoinResult { return JoinResult{Err: err, MemberID: req.MemberID, Generation: -1} }
	if req.Group == "" {
		return fail(ErrInvalidGroupID)
	}
	s, err := c.shardFor(req.Group)
	if err != nil {
		return fail(err)
	}
	// The group keeps the metadata past this request, whose buffer the
	// connection reuses: copy it.
	req.Protocols = slices.Clone(req.Protocols)
	for i := range req.Protocols {
		req.Protocols[i].Metadata = bytes.Clone(req.Protocols[i].Metadata)
	}
	res := make(chan JoinResult, 1)
	if err := s.do(ctx, func(co *core, now time.Time) { co.join(now, req, func(r JoinResult) { res <- r }) }); err != nil {
		return fail(err)
	}
	select {
	case r := <-res:
		return r
	case <-ctx.Done():
		return fail(ctx.Err())
	}
}

// Sync handles SyncGroup; followers wait for the leader's assignment.
func (c *Coordinator) Sync(ctx context.Context, req SyncRequest) SyncResult {
	if req.Group == "" {
		return SyncResult{Err: ErrInvalidGroupID}
	}
	s, err := c.shardFor(req.Group)
	if err != nil {
		return SyncResult{Err: err}
	}
	assignments := make(map[string][]byte, len(req.Assignments))
	for id, a := range req.Assignments {
		assignments[id] = bytes.Clone(a) // kept past the request's buffer
	}
	req.Assignments = assignments
	res := make(chan SyncResult, 1)
	err = s.do(ctx, func(co *core, now time.Time) { co.sync(now, req, func(r SyncResult) { res <- r }) })
	if errors.Is(err, ErrLoadInProgress) {
		// Kafka: a loading group answers SyncGroup "rebalance in
		// progress", so the member rejoins once it is loaded.
		err = ErrRebalanceInProgress
	}
	if err != nil {
		return SyncResult{Err: err}
	}
	select {
	case r := <-res:
		return r
	case <-ctx.Done():
		return SyncResult{Err: ctx.Err()}
	}
}

// Heartbeat handles Heartbeat.
func (c *Coordinator) Heartbeat(ctx context.Context, req HeartbeatRequest) error {
	if req.Group == "" {
		return ErrInvalidGroupID
	}
	s, err := c.shardFor(req.Group)
	if err != nil {
		return err
	}
	var hbErr error
	err = s.do(ctx, func(co *core, now time.Time) { hbErr = co.heartbeat(now, req) })
	if errors.Is(err, ErrLoadInProgress) {
		return nil // as Kafka: the member is told nothing until the group is loaded
	}
	if err != nil {
		return err
	}
	return hbErr
}

// Leave handles LeaveGroup: one result per member, or a group-level error.
func (c *Coordinator) Leave(ctx context.Context, groupID string, members []LeaveMember) ([]LeaveResult, error) {
	if groupID == "" {
		return nil, ErrInvalidGroupID
	}
	s, err := c.shardFor(groupID)
	if err != nil {
		return nil, err
	}
	var out []LeaveResult
	var leaveErr error
	if err := s.do(ctx, func(co *core, now time.Time) { out, leaveErr = co.leave(now, groupID, members) }); err != nil {
		return nil, err
	}
	return out, leaveErr
}

// CommitOffsets handles OffsetCommit: one error (or nil) per req.Offsets
// entry. The empty group id is allowed, as in Kafka.
func (c *Coordinator) CommitOffsets(ctx context.Context, req CommitRequest) []error {
	var out []error
	err := c.onShard(ctx, req.Group, func(co *core, now time.Time) { out = co.commit(now, req) })
	if err != nil {
		out = make([]error, len(req.Offsets))
		for i := range out {
			out[i] = err
		}
	}
	return out
}

// FetchOffsets handles OffsetFetch for one group; parts nil means every
// committed partition.
func (c *Coordinator) FetchOffsets(ctx context.Context, groupID string, parts []TopicPartition) ([]OffsetData, error) {
	var out []OffsetData
	err := c.onShard(ctx, groupID, func(co *core, _ time.Time) { out = co.fetch(groupID, parts) })
	return out, err
}

// DescribeGroup handles DescribeGroups for one group.
func (c *Coordinator) DescribeGroup(ctx context.Context, groupID string) (GroupDescription, error) {
	var d GroupDescription
	err := c.onShard(ctx, groupID, func(co *core, _ time.Time) { d = co.describe(groupID) })
	return d, err
}

// DeleteGroup handles DeleteGroups for one group.
func (c *Coordinator) DeleteGroup(ctx context.Context, groupID string) error {
	var delErr error
	if err := c.onShard(ctx, groupID, func(co *core, now time.Time) { delErr = co.deleteGroup(now, groupID) }); err != nil {
		return err
	}
	return delErr
}

// DeleteOffsets handles OffsetDelete: one error (or nil) per partition, or
// a group-level error.
func (c *Coordinator) DeleteOffsets(ctx context.Context, groupID string, parts []TopicPartition) ([]error, error) {
	var out []error
	var groupErr error
	if err := c.onShard(ctx, groupID, func(co *core, now time.Time) { out, groupErr = co.deleteOffsets(now, groupID, parts) }); err != nil {
		return nil, err
	}
	return out, groupErr
}

// ListGroups lists the groups of every partition this broker coordinates,
// filtered by state (none: all). While a partition loads, the groups of
// the others are returned with ErrLoadInProgress.
func (c *Coordinator) ListGroups(ctx context.Context, states []string) ([]GroupListing, error) {
	var out []GroupListing
	var firstErr error
	for _, s := range c.allShards() {
		var part []GroupListing
		if err := s.do(ctx, func(co *core, _ time.Time) { part = co.list(states) }); err != nil {
			if firstErr == nil || errors.Is(err, ErrLoadInProgress) {
				firstErr = err
			}
			continue
		}
		out = append(out, part...)
	}
	if errors.Is(firstErr, ErrNotCoordinator) {
		firstErr = nil // a partition moved away meanwhile: its groups are listed elsewhere
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Group < out[j].Group })
	return out, firstErr
}

// Lag reports committed offsets and the partitions' high watermarks for
// the named groups (all groups coordinated here when none), sorted by
// group, topic and partition.
func (c *Coordinator) Lag(ctx context.Context, groups ...string) ([]Lag, error) {
	var out []Lag
	if len(groups) == 0 {
		for _, s := range c.allShards() {
			var part []Lag
			if err := s.do(ctx, func(co *core, _ time.Time) { part = co.committed(nil) }); err != nil {
				return nil, err
			}
			out = append(out, part...)
		}
	}
	for _, g := range groups {
		var part []Lag
		if err := c.onShard(ctx, g, func(co *core, _ time.Time) { part = co.committed([]string{g}) }); err != nil {
			return nil, err
		}
		out = append(out, part...)
	}
	for i := range out {
		l := &out[i]
		l.HighWatermark, l.Lag = -1, -1
		if p, err := c.opts.Replicas.Partition(l.Topic, l.Partition); err == nil {
			l.HighWatermark = p.Log.HighWatermark()
			l.Lag = max(l.HighWatermark-l.Committed, 0)
		}
	}
	slices.SortFunc(out, func(a, b Lag) int {
		if a.Group != b.Group {
			if a.Group < b.Group {
				return -1
			}
			return 1
		}
		return compareTP(TopicPartition{a.Topic, a.Partition}, TopicPartition{b.Topic, b.Partition})
	})
	return out, nil
}

// onShard runs fn on the group's shard.
func (c *Coordinator) onShard(ctx context.Context, groupID string, fn func(co *core, now time.Time)) error {
	s, err := c.shardFor(groupID)
	if err != nil {
		return err
	}
	return s.do(ctx, fn)
}
