package group

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/strom-project/strom/internal/record"
)

// Transactional offset commits (KIP-98, KIP-447). TxnOffsetCommit writes
// its offsets to the group's partition as a transactional batch of the
// producer; they stay pending, invisible to OffsetFetch, until the
// transaction's marker reaches the partition: COMMIT makes them the
// group's committed offsets, ABORT drops them. Loading replays the same:
// transactional batches are pending until their marker follows.

// TxnCommitRequest is a TxnOffsetCommit request.
type TxnCommitRequest struct {
	TransactionalID string
	ProducerID      int64
	ProducerEpoch   int16
	Group           string
	// Generation, MemberID and InstanceID (v3+, KIP-447) fence zombies by
	// the group's generation; -1 and "" skip the check.
	Generation int32
	MemberID   string
	InstanceID *string
	Offsets    []CommitOffset
}

// txnJournal writes records as a transactional batch of a producer.
type txnJournal interface {
	writeTxn(now time.Time, producerID int64, epoch int16, recs []kv) error
}

func (j logJournal) writeTxn(now time.Time, producerID int64, epoch int16, recs []kv) error {
	nrs := make([]record.NewRecord, len(recs))
	for i, r := range recs {
		nrs[i] = record.NewRecord{Key: r.key, Value: r.value}
	}
	// Base sequence 0, as Kafka's GroupMetadataManager writes it: the log
	// checks no sequence of the coordinator's own appends.
	b, err := record.Build(nil, record.BatchSpec{
		BaseTimestamp: now.UnixMilli(), Transactional: true,
		ProducerID: producerID, ProducerEpoch: epoch, BaseSequence: 0, Records: nrs,
	})
	if err != nil {
		return err
	}
	return j.log.Append(b)
}

// txnCommit handles TxnOffsetCommit; one error (or nil) per offset.
func (c *core) txnCommit(now time.Time, req TxnCommitRequest) []error {
	out := make([]error, len(req.Offsets))
	fill := func(err error) []error {
		for i := range out {
			out[i] = err
		}
		return out
	}
	g := c.groups[req.Group]
	if g == nil {
		if req.Generation >= 0 || req.MemberID != "" {
			return fill(ErrIllegalGeneration)
		}
		g = c.getOrCreate(req.Group, true, now)
	}
	if req.Generation >= 0 || req.MemberID != "" || req.InstanceID != nil {
		// Kafka's validateOffsetCommit for transactional commits: the
		// member and generation must be current, whatever the state.
		switch {
		case g.staticFenced(req.InstanceID, req.MemberID):
			return fill(ErrFencedInstanceID)
		case g.members[req.MemberID] == nil:
			return fill(ErrUnknownMemberID)
		case req.Generation != g.generation:
			return fill(ErrIllegalGeneration)
		}
	}
	tj, ok := c.j.(txnJournal)
	if !ok {
		return fill(ErrCoordinatorNotAvailable)
	}
	var recs []kv
	var idx []int
	var vals []*offset
	for i, o := range req.Offsets {
		meta := ""
		if o.Metadata != nil {
			meta = *o.Metadata
		}
		if len(meta) > c.cfg.MaxMetadataBytes {
			out[i] = ErrOffsetMetadataTooLarge
			continue
		}
		v := &offset{offset: o.Offset, leaderEpoch: o.LeaderEpoch, metadata: meta, commitTime: now.UnixMilli(), expireTime: -1}
		recs = append(recs, offsetRecord(g.id, o.TopicPartition, v))
		idx, vals = append(idx, i), append(vals, v)
	}
	if len(recs) == 0 {
		return out
	}
	if err := tj.writeTxn(now, req.ProducerID, req.ProducerEpoch, recs); err != nil {
		c.logger.Warn("writing transactional offsets failed", "group", g.id, "err", err)
		err = writeErr(err, true)
		for _, i := range idx {
			out[i] = err
		}
		return out
	}
	for k, i := range idx {
		c.addTxnOffset(req.ProducerID, g.id, req.Offsets[i].TopicPartition, vals[k])
	}
	return out
}

func (c *core) addTxnOffset(producerID int64, groupID string, tp TopicPartition, o *offset) {
	if c.txnOffsets == nil {
		c.txnOffsets = map[int64]map[string]map[TopicPartition]*offset{}
	}
	byGroup := c.txnOffsets[producerID]
	if byGroup == nil {
		byGroup = map[string]map[TopicPartition]*offset{}
		c.txnOffsets[producerID] = byGroup
	}
	if byGroup[groupID] == nil {
		byGroup[groupID] = map[TopicPartition]*offset{}
	}
	byGroup[groupID][tp] = o
}

// completeTxn applies a transaction marker written to this partition:
// the producer's pending offsets become committed (commit) or vanish.
func (c *core) completeTxn(now time.Time, producerID int64, commit bool) {
	byGroup := c.txnOffsets[producerID]
	delete(c.txnOffsets, producerID)
	if !commit {
		return
	}
	for id, offs := range byGroup {
		g := c.getOrCreate(id, true, now)
		for tp, o := range offs {
			g.offsets[tp] = o
		}
		c.schedule(g)
	}
}

// hasPendingTxnOffset reports whether a transaction has an offset of the
// group's partition pending (OffsetFetch require_stable, KIP-447).
func (c *core) hasPendingTxnOffset(groupID string, tp TopicPartition) bool {
	for _, byGroup := range c.txnOffsets {
		if byGroup[groupID][tp] != nil {
			return true
		}
	}
	return false
}

// dropPendingTxnOffset forgets every transaction's pending offset of the
// group's partition: an offset tombstone was written for it (Kafka's
// replay of a tombstone does the same, and so does loading).
func (c *core) dropPendingTxnOffset(groupID string, tp TopicPartition) {
	dropPending(c.txnOffsets, groupID, tp)
}

// dropPending removes the group's partition from every producer's
// pending offsets.
func dropPending(byProducer map[int64]map[string]map[TopicPartition]*offset, groupID string, tp TopicPartition) {
	for _, byGroup := range byProducer {
		if offs := byGroup[groupID]; offs != nil {
			delete(offs, tp)
			if len(offs) == 0 {
				delete(byGroup, groupID)
			}
		}
	}
}

// pendingOnlyTxnOffsets lists the group's partitions that transactions
// have offsets pending for and that have no committed offset, sorted.
func (c *core) pendingOnlyTxnOffsets(g *group) []TopicPartition {
	seen := map[TopicPartition]bool{}
	for _, byGroup := range c.txnOffsets {
		for tp := range byGroup[g.id] {
			if g.offsets[tp] == nil {
				seen[tp] = true
			}
		}
	}
	out := slices.Collect(maps.Keys(seen))
	slices.SortFunc(out, compareTP)
	return out
}

// hasPendingTxnOffsets reports whether any transaction has offsets of the
// group pending: such a group is not deleted as empty (Kafka's
// hasPendingOffsetCommitsFromProducer), or its offsets would come back
// without their group metadata when the transaction commits.
func (c *core) hasPendingTxnOffsets(groupID string) bool {
	for _, byGroup := range c.txnOffsets {
		if len(byGroup[groupID]) > 0 {
			return true
		}
	}
	return false
}

// TxnCommit handles TxnOffsetCommit.
func (c *Coordinator) TxnCommit(ctx context.Context, req TxnCommitRequest) []error {
	fail := func(err error) []error {
		out := make([]error, len(req.Offsets))
		for i := range out {
			out[i] = err
		}
		return out
	}
	if req.Group == "" {
		return fail(ErrInvalidGroupID)
	}
	s, err := c.shardFor(req.Group)
	if err != nil {
		return fail(err)
	}
	var out []error
	if err := s.do(ctx, func(co *core, now time.Time) { out = co.txnCommit(now, req) }); err != nil {
		return fail(err)
	}
	return out
}

// TxnMarker tells the coordinator that a transaction marker was written
// to an offsets partition it leads (WriteTxnMarkers): pending
// transactional offsets of the producer are committed or dropped. A
// partition this broker does not coordinate (or that is still loading,
// and will read the marker from its log) is ignored.
func (c *Coordinator) TxnMarker(ctx context.Context, partition int32, producerID int64, commit bool) {
	c.mu.RLock()
	s := c.shards[partition]
	c.mu.RUnlock()
	if s == nil {
		return
	}
	s.do(ctx, func(co *core, now time.Time) { co.completeTxn(now, producerID, commit) })
}

// txnLoader is the loader's view of transactional batches: offsets
// pending per producer until their marker.
type txnLoader struct {
	pending map[int64]map[string]map[TopicPartition]*offset
}

// txnBatch replays a transactional batch (offsets) or a control batch
// (a marker) of the offsets partition.
func (l *loader) txnBatch(h record.Header, b []byte) error {
	if l.txn.pending == nil {
		l.txn.pending = map[int64]map[string]map[TopicPartition]*offset{}
	}
	if h.IsControl() {
		m, ok, err := record.ParseEndTxnMarker(b)
		if err != nil || !ok {
			return err
		}
		byGroup := l.txn.pending[h.ProducerID]
		delete(l.txn.pending, h.ProducerID)
		if m.Type != record.ControlCommit {
			return nil
		}
		for id, offs := range byGroup {
			if l.offsets[id] == nil {
				l.offsets[id] = map[TopicPartition]*offset{}
			}
			for tp, o := range offs {
				l.offsets[id][tp] = o
			}
		}
		return nil
	}
	return record.ForEachRecord(b, record.Limits{}, func(_ *record.Header, r *record.Record) bool {
		d, ok, err := decodeRecord(r.Key, r.Value)
		l.records++
		if err != nil || !ok || d.offsetKey == nil || d.offset == nil {
			l.skipped++
			return true
		}
		k, v := d.offsetKey, d.offset
		byGroup := l.txn.pending[h.ProducerID]
		if byGroup == nil {
			byGroup = map[string]map[TopicPartition]*offset{}
			l.txn.pending[h.ProducerID] = byGroup
		}
		if byGroup[k.Group] == nil {
			byGroup[k.Group] = map[TopicPartition]*offset{}
		}
		byGroup[k.Group][TopicPartition{Topic: k.Topic, Partition: k.Partition}] = &offset{
			offset: v.Offset, leaderEpoch: v.LeaderEpoch, metadata: v.Metadata, commitTime: v.CommitTimestamp, expireTime: -1,
		}
		return true
	})
}

// finishTxn installs transactions still open at the end of the log.
func (l *loader) finishTxn(c *core) {
	for pid, byGroup := range l.txn.pending {
		for id, offs := range byGroup {
			for tp, o := range offs {
				c.addTxnOffset(pid, id, tp, o)
			}
		}
	}
}
