package raft

import (
	"errors"
	"fmt"
	"math"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// maxProposalsPerReady bounds how many queued proposals share one Ready
// (and so one fsync: group commit); maxStepsPerReady does the same for peer
// messages.
const (
	maxProposalsPerReady = 256
	maxStepsPerReady     = 64
)

// run is the loop goroutine. Every event (tick, proposal, peer message) is
// followed by draining Ready, so when a proposal is handled every entry raft
// appended earlier has been emitted and n.last is the log's last index.
func (n *Node) run() {
	ticker := time.NewTicker(n.cfg.TickInterval)
	defer ticker.Stop()
	err := n.loop(ticker.C)
	n.err = err
	n.failWaiters(err)
	if cerr := n.disk.wal.close(); cerr != nil && errors.Is(err, ErrStopped) {
		n.err = fmt.Errorf("raft: close wal: %w", cerr)
	}
	n.active.Store(false)
	n.leader.Store(-1)
	n.watch.fire()
	close(n.done)
}

func (n *Node) loop(tick <-chan time.Time) error {
	// A sole voter need not wait an election timeout: campaign now, so a
	// single-node broker is ready within a couple of fsyncs.
	if cs := n.confState; len(cs.GetVoters()) == 1 && cs.GetVoters()[0] == RaftID(n.cfg.NodeID) && len(cs.GetVotersOutgoing()) == 0 {
		if err := n.rn.Campaign(); err != nil {
			return fmt.Errorf("raft: campaign: %w", err)
		}
	}
	stopc := n.stopc
	for {
		if err := n.drain(); err != nil {
			n.log.Error("metadata log failed; stopping the raft node", "err", err)
			return err
		}
		if n.resign != nil && n.resigned() {
			return ErrStopped
		}
		select {
		case <-stopc:
			if !n.startResign() {
				return ErrStopped
			}
			stopc = nil // resigning: keep running until resigned
		case <-tick:
			n.rn.Tick()
			n.readTick()
			n.addLearners()
			if n.resign != nil {
				n.resign.ticks--
			}
		case m := <-n.stepc:
			n.step(m)
			for i := 1; i < maxStepsPerReady; i++ {
				select {
				case m := <-n.stepc:
					n.step(m)
					continue
				default:
				}
				break
			}
		case p := <-n.propc:
			n.propose(p)
			for i := 1; i < maxProposalsPerReady; i++ {
				select {
				case p := <-n.propc:
					n.propose(p)
					continue
				default:
				}
				break
			}
		case f := <-n.callc:
			f()
		case <-n.fb.c:
			n.applyFeedback()
		}
	}
}

func (n *Node) step(m *pb.Message) {
	// Errors here are raft rejecting a stale or foreign message.
	_ = n.rn.Step(m)
}

func (n *Node) propose(p *proposal) {
	if n.resign != nil {
		p.done <- ErrStopped
		return
	}
	if !n.isLeader {
		p.done <- ErrNotLeader
		return
	}
	term := n.hs.GetTerm()
	if err := n.rn.Propose(p.data); err != nil {
		p.done <- fmt.Errorf("%w: %v", ErrProposalDropped, err)
		return
	}
	n.last++
	p.index, p.term = n.last, term
	n.waiters[p.index] = p
}

func (n *Node) drain() error {
	for {
		for n.rn.HasReady() {
			if err := n.handleReady(n.rn.Ready()); err != nil {
				return err
			}
		}
		if !n.requestRead() {
			return nil
		}
	}
}

// handleReady persists, sends and applies one Ready. Order matters: a
// snapshot and entries are durable before any message that acknowledges
// them leaves, and before anything is applied.
func (n *Node) handleReady(rd raft.Ready) error {
	lostLeadership := false
	if rd.SoftState != nil {
		lostLeadership = n.softState(rd.SoftState)
	}
	if !raft.IsEmptySnap(rd.Snapshot) {
		if err := n.installSnapshot(rd.Snapshot); err != nil {
			return err
		}
	}
	hs := rd.HardState
	if err := n.disk.wal.save(hs, rd.Entries, rd.MustSync); err != nil {
		return err
	}
	if hs != nil {
		n.hs = hs
		n.term.Store(hs.GetTerm())
		if err := n.disk.mem.SetHardState(hs); err != nil {
			return err
		}
	}
	if len(rd.Entries) > 0 {
		if err := n.disk.mem.Append(rd.Entries); err != nil {
			return fmt.Errorf("raft: append to memory log: %w", err)
		}
		n.last = rd.Entries[len(rd.Entries)-1].GetIndex()
	}
	n.cfg.Transport.Send(rd.Messages)
	n.readStates(rd.ReadStates)
	if err := n.apply(rd.CommittedEntries); err != nil {
		return err
	}
	if lostLeadership {
		// After apply, so proposals committed in this very Ready get their
		// answer. The rest may still commit under the next leader, or not.
		n.failWaiters(ErrProposalDropped)
	}
	n.checkReady()
	if err := n.maybeSnapshot(); err != nil {
		return err
	}
	n.rn.Advance(rd)
	return nil
}

// softState notes a change of leader or role; it reports whether this
// node just lost leadership.
func (n *Node) softState(ss *raft.SoftState) bool {
	wasLeader := n.isLeader
	n.isLeader = ss.RaftState == raft.StateLeader
	lead := NodeID(ss.Lead)
	if old := n.leader.Swap(lead); old != lead {
		n.watch.fire()
		if lead >= 0 {
			n.log.Info("metadata leader elected", "leader", lead, "term", n.rn.BasicStatus().Term)
		}
	}
	if wasLeader && !n.isLeader {
		n.active.Store(false)
		n.log.Warn("lost metadata leadership", "leader", lead)
		return true
	}
	return false
}

func (n *Node) failWaiters(err error) {
	for i, p := range n.waiters {
		p.done <- err
		delete(n.waiters, i)
	}
}

func (n *Node) installSnapshot(snap *pb.Snapshot) error {
	if err := writeSnapshot(n.cfg.Dir, snap); err != nil {
		return err
	}
	if err := n.disk.mem.ApplySnapshot(snap); err != nil {
		return fmt.Errorf("raft: apply snapshot: %w", err)
	}
	idx := snap.GetMetadata().GetIndex()
	// Entries after the snapshot in the old WAL may not match the leader's.
	if err := n.disk.wal.rewrite(n.hs, nil); err != nil {
		return err
	}
	if err := n.cfg.StateMachine.Restore(idx, snap.GetData()); err != nil {
		return fmt.Errorf("raft: restore snapshot at %d: %w", idx, err)
	}
	for i, p := range n.waiters {
		if i <= idx {
			p.done <- ErrProposalDropped
			delete(n.waiters, i)
		}
	}
	n.confState = snap.GetMetadata().GetConfState()
	n.snapIndex, n.last = idx, idx
	n.applied.Store(idx)
	n.log.Info("installed metadata snapshot from the leader", "index", idx, "bytes", len(snap.GetData()))
	return nil
}

// apply applies committed entries, flushes the state machine, then answers
// the proposers of those entries.
func (n *Node) apply(ents []*pb.Entry) error {
	if len(ents) == 0 {
		return nil
	}
	type answer struct {
		p   *proposal
		err error
	}
	var answers []answer
	for _, e := range ents {
		idx := e.GetIndex()
		var applyErr error
		switch e.GetType() {
		case pb.EntryNormal:
			if len(e.GetData()) > 0 {
				applyErr = n.cfg.StateMachine.Apply(idx, e.GetData())
			}
		case pb.EntryConfChange, pb.EntryConfChangeV2:
			cc, err := decodeConfChange(e)
			if err != nil {
				return fmt.Errorf("raft: conf change at %d: %w", idx, err)
			}
			n.confState = n.rn.ApplyConfChange(cc)
		}
		if p := n.waiters[idx]; p != nil {
			delete(n.waiters, idx)
			if e.GetTerm() != p.term {
				applyErr = ErrProposalDropped // another leader's entry took the index
			}
			answers = append(answers, answer{p, applyErr})
		}
	}
	if err := n.cfg.StateMachine.Flush(); err != nil {
		return fmt.Errorf("raft: flush state machine: %w", err)
	}
	last := ents[len(ents)-1]
	n.applied.Store(last.GetIndex())
	for _, a := range answers {
		a.p.done <- a.err
	}
	n.noteApplied(last.GetTerm())
	return nil
}

// maybeSnapshot snapshots the state machine and compacts the log once
// SnapshotEvery entries were applied since the last snapshot.
func (n *Node) maybeSnapshot() error {
	applied := n.applied.Load()
	if applied-n.snapIndex < n.cfg.SnapshotEvery {
		return nil
	}
	data, err := n.cfg.StateMachine.Snapshot()
	if err != nil {
		return fmt.Errorf("raft: snapshot state machine: %w", err)
	}
	snap, err := n.disk.mem.CreateSnapshot(applied, n.confState, data)
	if err != nil {
		return fmt.Errorf("raft: create snapshot at %d: %w", applied, err)
	}
	if err := writeSnapshot(n.cfg.Dir, snap); err != nil {
		return err
	}
	// Keep the last SnapshotEvery/2 entries in memory: a follower a little
	// behind at compaction time then gets entries, not the whole snapshot.
	// The WAL keeps only what follows the snapshot; after a restart such a
	// follower gets the snapshot.
	compactTo := applied - min(applied, n.cfg.SnapshotEvery/2)
	if first, _ := n.disk.mem.FirstIndex(); compactTo >= first {
		if err := n.disk.mem.Compact(compactTo); err != nil {
			return fmt.Errorf("raft: compact to %d: %w", compactTo, err)
		}
	}
	var rest []*pb.Entry
	if n.last > applied {
		rest, err = n.disk.mem.Entries(applied+1, n.last+1, math.MaxUint64)
		if err != nil {
			return fmt.Errorf("raft: entries after snapshot: %w", err)
		}
	}
	if err := n.disk.wal.rewrite(n.hs, rest); err != nil {
		return err
	}
	n.snapIndex = applied
	n.log.Debug("metadata snapshot written", "index", applied, "bytes", len(data))
	return nil
}
