package group

import (
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/record"
)

// loader rebuilds a core from its partition, as Kafka's
// GroupMetadataManager.doLoadGroupsAndOffsets: the last record per key
// wins, tombstones delete, and groups are built once the whole log is read.
type loader struct {
	groups   map[string]*kmsg.GroupMetadataValue
	offsets  map[string]map[TopicPartition]*offset
	records  int
	skipped  int
	firstErr error // first record that did not decode
	txn      txnLoader
}

func newLoader() *loader {
	return &loader{groups: map[string]*kmsg.GroupMetadataValue{}, offsets: map[string]map[TopicPartition]*offset{}}
}

// batch replays one record batch.
func (l *loader) batch(b []byte) error {
	h, err := record.ParseHeader(b)
	if err != nil {
		return err
	}
	if h.IsControl() || h.IsTransactional() {
		return l.txnBatch(h, b) // txn_offsets.go
	}
	return record.ForEachRecord(b, record.Limits{}, func(h *record.Header, r *record.Record) bool {
		if r.Key == nil {
			l.skipped++
			return true
		}
		if err := l.record(r.Key, r.Value); err != nil {
			// Only the coordinator should write here, but a record that
			// does not decode must not make every group of the partition
			// unavailable: skip it and say so.
			l.skipped++
			if l.firstErr == nil {
				l.firstErr = fmt.Errorf("offset %d: %w", h.BaseOffset+int64(r.OffsetDelta), err)
			}
		}
		return true
	})
}

func (l *loader) record(key, value []byte) error {
	d, ok, err := decodeRecord(key, value)
	if err != nil {
		return err
	}
	l.records++
	if !ok {
		l.skipped++
		return nil
	}
	if k := d.offsetKey; k != nil {
		tp := TopicPartition{Topic: k.Topic, Partition: k.Partition}
		if d.offset == nil {
			delete(l.offsets[k.Group], tp)
			dropPending(l.txn.pending, k.Group, tp) // as the core does
			return nil
		}
		if l.offsets[k.Group] == nil {
			l.offsets[k.Group] = map[TopicPartition]*offset{}
		}
		v := d.offset
		o := &offset{offset: v.Offset, leaderEpoch: v.LeaderEpoch, metadata: v.Metadata, commitTime: v.CommitTimestamp, expireTime: -1}
		if v.Version == 1 {
			o.expireTime = v.ExpireTimestamp
		}
		l.offsets[k.Group][tp] = o
		return nil
	}
	if d.group == nil {
		delete(l.groups, d.groupKey.Group)
		return nil
	}
	l.groups[d.groupKey.Group] = d.group
	return nil
}

// finish installs the loaded groups (and pending transactional offsets)
// into c. Loaded members get a fresh session from now: they reconnect to
// this coordinator and carry on at their generation, or expire.
func (l *loader) finish(c *core, now time.Time) {
	for id, v := range l.groups {
		g := c.getOrCreate(id, true, now)
		g.protocolType, g.generation = v.ProtocolType, v.Generation
		if v.Protocol != nil {
			g.protocol = *v.Protocol
		}
		if v.CurrentStateTimestamp > 0 {
			g.stateTime = time.UnixMilli(v.CurrentStateTimestamp)
		}
		for _, vm := range v.Members {
			m := &member{
				id: vm.MemberID, instanceID: vm.InstanceID, clientID: vm.ClientID, clientHost: vm.ClientHost,
				sessionTimeout:   time.Duration(vm.SessionTimeoutMillis) * time.Millisecond,
				rebalanceTimeout: time.Duration(vm.RebalanceTimeoutMillis) * time.Millisecond,
				protocols:        []Protocol{{Name: g.protocol, Metadata: vm.Subscription}},
				assignment:       vm.Assignment,
			}
			if vm.RebalanceTimeoutMillis < 0 {
				m.rebalanceTimeout = m.sessionTimeout // v0 records had none
			}
			m.deadline = now.Add(m.sessionTimeout)
			g.add(m, g.protocolType)
		}
		if v.Leader != nil && g.members[*v.Leader] != nil {
			g.leader = *v.Leader
		}
		if len(g.members) > 0 {
			g.state = stateStable
		}
	}
	l.finishTxn(c)
	for id, offs := range l.offsets {
		if len(offs) == 0 {
			continue
		}
		g := c.getOrCreate(id, true, now)
		for tp, o := range offs {
			g.offsets[tp] = o
		}
	}
}

// String is for logs.
func (l *loader) String() string {
	return fmt.Sprintf("%d records (%d skipped), %d groups with metadata, %d with offsets",
		l.records, l.skipped, len(l.groups), len(l.offsets))
}
