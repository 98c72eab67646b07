package raft

import (
	"errors"
	"fmt"
	"math"
	"time"

	"google.golang.org/protobuf/proto"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// maxProposalsPerReady bounds how many queued proposals share one Ready
// (and so one fsync: group commit).
const maxProposalsPerReady = 256

// run is the loop goroutine. Every event (tick, proposal, peer message) is
// followed by draining Ready, so when a proposal is handled every entry raft
// appended earlier has been emitted and n.last is the log's last index.
func (n *Node) run() {
	ticker := time.NewTicker(n.cfg.TickInterval)
	defer ticker.Stop()
	err := n.loop(ticker.C)
	n.err = err
	for _, p := range n.waiters {
		p.done <- err
	}
	n.waiters = nil
	if cerr := n.disk.wal.close(); cerr != nil && errors.Is(err, ErrStopped) {
		n.err = fmt.Errorf("raft: close wal: %w", cerr)
	}
	n.leader.Store(-1)
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
	for {
		if err := n.drain(); err != nil {
			n.log.Error("metadata log failed; stopping the raft node", "err", err)
			return err
		}
		select {
		case <-n.stopc:
			return ErrStopped
		case <-tick:
			n.rn.Tick()
		case m := <-n.stepc:
			// Errors here are raft rejecting a stale or foreign message.
			_ = n.rn.Step(m)
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
		}
	}
}

func (n *Node) propose(p *proposal) {
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
	for n.rn.HasReady() {
		if err := n.handleReady(n.rn.Ready()); err != nil {
			return err
		}
	}
	return nil
}

func (n *Node) handleReady(rd raft.Ready) error {
	if rd.SoftState != nil {
		n.softState(rd.SoftState)
	}
	if !raft.IsEmptySnap(rd.Snapshot) {
		if err := n.installSnapshot(rd.Snapshot); err != nil {
			return err
		}
	}
	if rd.HardState != nil {
		n.hs = rd.HardState
	}
	var hs *pb.HardState
	if rd.HardState != nil {
		hs = rd.HardState
	}
	if err := n.disk.wal.save(hs, rd.Entries, rd.MustSync); err != nil {
		return err
	}
	if hs != nil {
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
	if err := n.apply(rd.CommittedEntries); err != nil {
		return err
	}
	if err := n.maybeSnapshot(); err != nil {
		return err
	}
	n.rn.Advance(rd)
	return nil
}

func (n *Node) softState(ss *raft.SoftState) {
	wasLeader := n.isLeader
	n.isLeader = ss.RaftState == raft.StateLeader
	n.leader.Store(NodeID(ss.Lead))
	if wasLeader && !n.isLeader {
		n.log.Warn("lost metadata leadership", "leader", NodeID(ss.Lead))
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
		case pb.EntryConfChange:
			var cc pb.ConfChange
			if err := proto.Unmarshal(e.GetData(), &cc); err != nil {
				return fmt.Errorf("raft: conf change at %d: %w", idx, err)
			}
			n.confState = n.rn.ApplyConfChange(&cc)
		case pb.EntryConfChangeV2:
			var cc pb.ConfChangeV2
			if err := proto.Unmarshal(e.GetData(), &cc); err != nil {
				return fmt.Errorf("raft: conf change at %d: %w", idx, err)
			}
			n.confState = n.rn.ApplyConfChange(&cc)
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
	if n.isLeader && !n.readyDone && last.GetTerm() == n.hs.GetTerm() {
		// The first entry of our own term is applied: so is everything
		// committed before it.
		n.readyDone = true
		close(n.ready)
	}
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
	if err := n.disk.mem.Compact(applied); err != nil {
		return fmt.Errorf("raft: compact to %d: %w", applied, err)
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
