package raft

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

var (
	// ErrNotLeader is returned by Propose on a node that is not the leader.
	ErrNotLeader = errors.New("raft: this node is not the leader")
	// ErrProposalDropped means the proposal was not committed (leadership
	// changed, or raft refused it); it may be retried.
	ErrProposalDropped = errors.New("raft: proposal dropped")
	// ErrStopped is returned after Stop.
	ErrStopped = errors.New("raft: node stopped")
)

// StateMachine is what the log is applied to. All methods are called on the
// node's loop goroutine, in log order, never concurrently.
type StateMachine interface {
	// Restore replaces the state with a snapshot taken at index.
	Restore(index uint64, data []byte) error
	// Apply applies the committed entry at index (never for raft's own empty
	// or configuration entries). An error rejects that entry on every node
	// alike and is returned to its proposer; it does not stop the node.
	Apply(index uint64, data []byte) error
	// Flush ends a run of Apply calls (the committed entries of one raft
	// Ready). A state machine may defer making applied state visible until
	// Flush, e.g. to build one immutable image for many entries; proposers
	// are answered only after it.
	Flush() error
	// Snapshot encodes the state as of the last applied index (called
	// after Flush).
	Snapshot() ([]byte, error)
}

// Config configures a Node.
type Config struct {
	NodeID int32   // Kafka node.id of this node
	Voters []int32 // Kafka node ids of the initial voters; empty: just NodeID
	Dir    string  // directory of the WAL and snapshot (created if missing)
	// Bootstrap is the snapshot data of the initial state (index 1), used
	// only when Dir holds no raft state yet.
	Bootstrap    []byte
	StateMachine StateMachine
	Transport    Transport     // nil: NopTransport (one voter)
	TickInterval time.Duration // default 100ms
	ElectionTick int           // in ticks, default 10
	// SnapshotEvery takes a snapshot and compacts the log after this many
	// applied entries; default 10,000.
	SnapshotEvery uint64
	Logger        *slog.Logger
}

// Node drives one raft group. Its loop goroutine owns the RawNode, the WAL
// and the StateMachine; other goroutines talk to it through channels.
// All exported methods are safe for concurrent use.
type Node struct {
	cfg   Config
	log   *slog.Logger
	rn    *raft.RawNode
	disk  *diskState
	propc chan *proposal
	stepc chan *pb.Message
	stopc chan struct{}
	done  chan struct{} // closed when the loop has exited
	ready chan struct{} // closed once leader with the log applied

	stopOnce sync.Once
	err      error // why the loop exited; read after done is closed
	leader   atomic.Int32
	applied  atomic.Uint64

	// Owned by the loop goroutine.
	hs        *pb.HardState
	confState *pb.ConfState
	last      uint64 // last index in the log (all of it emitted by Ready)
	snapIndex uint64
	isLeader  bool
	readyDone bool
	waiters   map[uint64]*proposal
}

type proposal struct {
	data        []byte
	index, term uint64
	done        chan error // buffered, receives exactly once
}

// Start opens (or bootstraps) the log in cfg.Dir, restores the state machine
// from the latest snapshot and starts the loop. Committed entries are replayed
// into the state machine by the loop; use WaitReady to wait for that.
func Start(cfg Config) (*Node, error) {
	if cfg.TickInterval <= 0 {
		cfg.TickInterval = 100 * time.Millisecond
	}
	if cfg.ElectionTick <= 0 {
		cfg.ElectionTick = 10
	}
	if cfg.SnapshotEvery == 0 {
		cfg.SnapshotEvery = 10_000
	}
	if cfg.Transport == nil {
		cfg.Transport = NopTransport{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if len(cfg.Voters) == 0 {
		cfg.Voters = []int32{cfg.NodeID}
	}
	voters := make([]uint64, len(cfg.Voters))
	for i, v := range cfg.Voters {
		voters[i] = RaftID(v)
	}
	disk, err := load(cfg.Dir, voters, cfg.Bootstrap)
	if err != nil {
		return nil, err
	}
	n := &Node{
		cfg: cfg, log: cfg.Logger.With("component", "raft"), disk: disk,
		propc: make(chan *proposal, 256), stepc: make(chan *pb.Message, 256),
		stopc: make(chan struct{}), done: make(chan struct{}), ready: make(chan struct{}),
		hs: disk.hs, confState: disk.snap.GetMetadata().GetConfState(), last: disk.last,
		snapIndex: disk.snap.GetMetadata().GetIndex(), waiters: map[uint64]*proposal{},
	}
	n.leader.Store(-1)
	if disk.torn > 0 {
		n.log.Warn("truncated torn metadata log tail", "bytes", disk.torn, "dir", cfg.Dir)
	}
	if err := cfg.StateMachine.Restore(n.snapIndex, disk.snap.GetData()); err != nil {
		disk.wal.close()
		return nil, fmt.Errorf("raft: restore snapshot at %d: %w", n.snapIndex, err)
	}
	n.applied.Store(n.snapIndex)
	n.rn, err = raft.NewRawNode(&raft.Config{
		ID: RaftID(cfg.NodeID), ElectionTick: cfg.ElectionTick, HeartbeatTick: 1,
		Storage: disk.mem, Applied: n.snapIndex,
		MaxSizePerMsg: 1 << 20, MaxCommittedSizePerReady: 16 << 20, MaxInflightMsgs: 256, MaxUncommittedEntriesSize: 1 << 30,
		CheckQuorum: true, PreVote: true, Logger: slogLogger{n.log},
	})
	if err != nil {
		disk.wal.close()
		return nil, fmt.Errorf("raft: %w", err)
	}
	go n.run()
	return n, nil
}

// WaitReady returns once this node is the leader and has applied every entry
// of earlier terms, i.e. its state machine is current and Propose works.
func (n *Node) WaitReady(ctx context.Context) error {
	select {
	case <-n.ready:
		return nil
	case <-n.done:
		return n.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Propose appends data to the log and returns its index once it is
// committed and applied (with the state machine's Apply error, if any). If
// ctx ends first the entry may still commit later.
func (n *Node) Propose(ctx context.Context, data []byte) (uint64, error) {
	p := &proposal{data: data, done: make(chan error, 1)}
	select {
	case n.propc <- p:
	case <-n.done:
		return 0, n.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	select {
	case err := <-p.done:
		return p.index, err
	case <-n.done:
		return 0, n.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// Step delivers a message from a peer (via the Transport).
func (n *Node) Step(ctx context.Context, m *pb.Message) error {
	select {
	case n.stepc <- m:
		return nil
	case <-n.done:
		return n.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Leader is the Kafka node id of the current leader, or -1 if unknown.
func (n *Node) Leader() int32 { return n.leader.Load() }

// Applied is the index of the last applied entry.
func (n *Node) Applied() uint64 { return n.applied.Load() }

// Stop stops the loop and closes the WAL. Pending proposals fail with
// ErrStopped. Stop is idempotent.
func (n *Node) Stop() error {
	n.stopOnce.Do(func() { close(n.stopc) })
	<-n.done
	if errors.Is(n.err, ErrStopped) {
		return nil
	}
	return n.err
}
