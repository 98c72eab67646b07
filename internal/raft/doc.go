// Package raft drives the one raft group that holds Strom's metadata log,
// on top of go.etcd.io/raft/v3.
//
// Usage:
//
//	n, err := raft.Start(raft.Config{
//		NodeID:       1,                    // Kafka node.id
//		Dir:          "/data/__cluster_metadata-0",
//		Bootstrap:    initialSnapshotData,  // used only on an empty Dir
//		StateMachine: sm,                   // Restore / Apply / Snapshot
//	})
//	err = n.WaitReady(ctx)                  // log replayed into sm, leader known
//	index, err := n.Propose(ctx, data)      // returns once committed and applied
//	err = n.Stop()
//
// Ids: raft ids must be non-zero but Kafka node ids start at 0, so
// raft id = node.id + 1 (RaftID, NodeID). The mapping is persisted.
//
// One goroutine (the loop) owns the RawNode, the WAL and the state machine:
// it ticks, steps peer messages, proposes, and after every event drains
// Ready — persist entries and HardState, send messages, apply committed
// entries, maybe snapshot, Advance. The StateMachine is only ever called from
// that goroutine, in log order. Queued proposals share one Ready and so one
// fsync (group commit).
//
// A new directory is bootstrapped with a snapshot at index 1, term 1 that
// holds Bootstrap and the voter set, rather than with ConfChange entries:
// every voter of a new quorum starts identical, and a restarted node knows
// its voters before it replays anything. A sole voter campaigns at once on
// start, so a single-node broker is ready after a couple of fsyncs.
//
// On disk (Dir):
//
//	wal       frames: entries and HardStates, appended; fsync when raft says
//	          MustSync (new entries, term or vote). Rewritten after each snapshot.
//	snapshot  one frame: index, term, ConfState, state machine data; replaced
//	          atomically (temp file, fsync, rename, fsync dir).
//
//	frame := length u32 | crc32c(payload) u32 | payload
//	payload := kind u8 | body
//	  kind 1 entry:     index u64 | term u64 | type u8 | data
//	  kind 2 hardstate: term u64 | vote u64 | commit u64
//	  kind 3 snapshot:  index u64 | term u64 | len u32 | ConfState (proto) | data
//
// On start the WAL is read up to the first frame that is short or fails its
// CRC; the rest is a torn write and is truncated. Replay keeps the last write
// of every index (a new leader may overwrite a suffix), rebuilds a
// raft.MemoryStorage, and the loop then re-applies committed entries.
//
// Multi-voter quorums (controller.quorum.voters) talk through a
// TCPTransport; a sole voter uses NopTransport:
//
//	tr := raft.NewTCPTransport(self, peers, logger) // node id → CONTROLLER host:port
//	n, err := raft.Start(raft.Config{..., Voters: ids, Transport: tr})
//	tr.SetNode(n)
//	// CONTROLLER listener: a connection whose first 4 bytes are
//	// RaftPreface (negative as an int32, so never a Kafka request size)
//	// goes to tr.ServeConn.
//	...
//	n.Stop()  // a leader first hands leadership over
//	tr.Close()
//
// Every voter bootstraps the same snapshot (Bootstrap, the configured
// voters) at index 1, so a new quorum starts identical and elects after an
// election timeout. Connections between voters are one-way (wire.go): each
// node dials every peer it sends to, writes the preface, a hello with its
// node id, then CRC-checked frames of raftpb.Message; the receiver only
// reads. An observer (a node outside the voters, TCPOptions.Observer) dials
// every voter and keeps the connection open, and the voters answer on it
// (tcp_observer.go); the leader makes connected observers raft learners
// (learners.go). Send never
// blocks the loop: per-peer bounded queues drop on overflow, and lost sends
// come back as ReportUnreachable / ReportSnapshot, which the loop feeds to
// raft (a lost MsgSnap must be reported, or raft waits on that follower
// forever).
//
// Roles: IsActive is true while this node leads and has applied the first
// entry of its term, so its state machine includes everything committed
// before; it is what the active controller checks. WaitReady returns the
// first time the state machine is current: on the leader when it is active,
// on a follower once it applied up to a read index (raft's ReadIndex) that
// the leader confirmed. A leader that loses leadership fails its pending
// proposals with ErrProposalDropped; they may still commit under the next
// leader (indeterminate, like a timed-out Kafka request).
//
// A follower too far behind (the leader compacted the entries it needs)
// gets the leader's latest snapshot as a MsgSnap, writes it, rewrites its
// WAL and Restores its state machine from it.
package raft
