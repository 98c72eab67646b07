package raft

import (
	"fmt"
	"os"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

// diskState is what load rebuilt from the directory.
type diskState struct {
	wal     *wal
	mem     *raft.MemoryStorage
	snap    *pb.Snapshot // latest snapshot (the bootstrap one on a fresh dir)
	hs      *pb.HardState
	last    uint64 // last log index
	torn    int64  // bytes of WAL tail truncated
	created bool   // the directory was empty and got bootstrapped
}

// load opens dir, bootstrapping it with a snapshot at index 1 holding
// bootstrap and voters if it holds no raft state yet.
//
// Bootstrapping with a snapshot rather than ConfChange entries (etcd's
// recommendation) means every voter of a new cluster starts from the same
// index 1 with the same configuration, and a restarted node knows its voters
// before replaying anything.
func load(dir string, voters []uint64, bootstrap []byte) (*diskState, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("raft: create %s: %w", dir, err)
	}
	snap, err := readSnapshot(dir)
	if err != nil {
		return nil, err
	}
	w, c, err := openWAL(dir)
	if err != nil {
		return nil, err
	}
	st := &diskState{wal: w, mem: raft.NewMemoryStorage(), snap: snap, hs: c.hardState, torn: c.truncated}
	if snap == nil {
		if len(c.entries) > 0 || c.hardState != nil {
			w.close()
			return nil, fmt.Errorf("raft: %s has a wal but no snapshot", dir)
		}
		snap = &pb.Snapshot{Data: bootstrap, Metadata: &pb.SnapshotMetadata{
			Index: new(uint64(1)), Term: new(uint64(1)), ConfState: &pb.ConfState{Voters: voters},
		}}
		if err := writeSnapshot(dir, snap); err != nil {
			w.close()
			return nil, err
		}
		st.snap, st.created = snap, true
		st.hs = &pb.HardState{Term: new(uint64(1)), Vote: new(uint64(0)), Commit: new(uint64(1))}
		if err := w.save(st.hs, nil, true); err != nil {
			w.close()
			return nil, err
		}
	}
	if err := st.mem.ApplySnapshot(snap); err != nil {
		w.close()
		return nil, fmt.Errorf("raft: apply snapshot: %w", err)
	}
	if err := st.replay(c.entries); err != nil {
		w.close()
		return nil, err
	}
	return st, nil
}

// replay rebuilds the in-memory log from the WAL's entries: entries at or
// below the snapshot are skipped, a rewritten index drops everything after it.
func (st *diskState) replay(written []*pb.Entry) error {
	snapIndex := st.snap.GetMetadata().GetIndex()
	var log []*pb.Entry // log[i] has index snapIndex+1+i
	for _, e := range written {
		i := e.GetIndex()
		if i <= snapIndex {
			continue
		}
		pos := i - snapIndex - 1
		if pos > uint64(len(log)) {
			return fmt.Errorf("raft: wal has a gap before index %d (log ends at %d)", i, snapIndex+uint64(len(log)))
		}
		log = append(log[:pos], e)
	}
	if err := st.mem.Append(log); err != nil {
		return fmt.Errorf("raft: rebuild log: %w", err)
	}
	st.last = snapIndex + uint64(len(log))
	if st.hs != nil {
		// The commit index may name entries a torn tail took away only if
		// they were never fsynced, so never acknowledged: clamp it.
		if st.hs.GetCommit() > st.last {
			st.hs.Commit = new(st.last)
		}
		if st.hs.GetCommit() < snapIndex {
			st.hs.Commit = new(snapIndex)
		}
		if err := st.mem.SetHardState(st.hs); err != nil {
			return err
		}
	}
	return nil
}
