package raft

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
)

var (
	// ErrNotLeader is returned by Propose on a node that is not the leader.
	ErrNotLeader = errors.New("raft: this node is not the leader")
	// ErrProposalDropped means the proposal was not answered: raft refused
	// it (e.g. during a leadership transfer), or this node lost leadership
	// before it committed. In the second case the outcome is indeterminate,
	// as for a Kafka request that timed out: a later leader may still commit
	// the entry. Callers that retry must make their entries idempotent or
	// re-read the state first.
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
	NodeID int32 // Kafka node.id of this node
	// Voters are the Kafka node ids of the initial voters (empty: just
	// NodeID). Every voter must be given the same list and Bootstrap; a
	// directory that holds raft state keeps the voters it was created with.
	Voters []int32
	Dir    string // directory of the WAL and snapshot (created if missing)
	// Bootstrap is the snapshot data of the initial state (index 1), used
	// only when Dir holds no raft state yet.
	Bootstrap    []byte
	StateMachine StateMachine
	Transport    Transport     // nil: NopTransport (one voter); see TCPTransport
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
	callc chan func() // run on the loop (TransferLeadership)
	stopc chan struct{}
	done  chan struct{} // closed when the loop has exited
	ready chan struct{} // closed once WaitReady's condition first holds

	stopOnce sync.Once
	err      error // why the loop exited; read after done is closed
	leader   atomic.Int32
	term     atomic.Uint64
	applied  atomic.Uint64
	active   atomic.Bool // leader with its own term's first entry applied
	fb       feedback    // send outcomes from the transport
	watch    leaderWatch

	// Owned by the loop goroutine.
	hs        *pb.HardState
	confState *pb.ConfState
	last      uint64 // last index in the log (all of it emitted by Ready)
	snapIndex uint64
	// confPending is the index of the last configuration change this node
	// proposed; raft takes the next only once it is applied.
	confPending uint64
	isLeader    bool
	readyDone   bool
	read        readIndex // a follower's catch-up target, see ready.go
	resign      *resignation
	waiters     map[uint64]*proposal
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
		propc: make(chan *proposal, 256), stepc: make(chan *pb.Message, 256), callc: make(chan func()),
		stopc: make(chan struct{}), done: make(chan struct{}), ready: make(chan struct{}),
		hs: disk.hs, confState: disk.snap.GetMetadata().GetConfState(), last: disk.last,
		snapIndex: disk.snap.GetMetadata().GetIndex(), waiters: map[uint64]*proposal{},
	}
	n.leader.Store(-1)
	n.term.Store(disk.hs.GetTerm())
	n.fb.init()
	n.watch.init()
	if disk.torn > 0 {
		n.log.Warn("truncated torn metadata log tail", "bytes", disk.torn, "dir", cfg.Dir)
	}
	if err := cfg.StateMachine.Restore(n.snapIndex, disk.snap.GetData()); err != nil {
		disk.wal.close()
		return nil, fmt.Errorf("raft: restore snapshot at %d: %w", n.snapIndex, err)
	}
	n.applied.Store(n.snapIndex)
	n.warnVoters(voters)
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

// WaitReady returns once a leader is known and this node's state machine
// holds everything committed when it learned the leader's commit index: on
// the leader, once the first entry of its term is applied (IsActive); on a
// follower, once it applied up to a read index the leader confirmed. It
// reports the first time only: after that it returns at once, even while
// an election is under way (use IsActive and Leader for the present).
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

// Term is the current raft term (the leader epoch of the metadata log).
func (n *Node) Term() uint64 { return n.term.Load() }

// IsActive reports whether this node is the leader and has applied the
// first entry of its term, so its state machine includes everything
// committed before: it may act as the active controller. It turns false as
// soon as the loop learns leadership is lost.
func (n *Node) IsActive() bool { return n.active.Load() }

// Stop stops the loop and closes the WAL. Pending proposals fail with
// ErrStopped. A leader of a multi-voter group first hands leadership to its
// most caught-up follower (for at most two election timeouts), so the group
// need not wait out an election timeout; keep the Transport open until Stop
// returns. Stop is idempotent.
func (n *Node) Stop() error {
	n.stopOnce.Do(func() { close(n.stopc) })
	<-n.done
	if errors.Is(n.err, ErrStopped) {
		return nil
	}
	return n.err
}

// warnVoters warns when the configured voters differ from the metadata
// log's: the log's voters (from its snapshot) are the ones raft uses, and
// changing them by configuration alone is not supported.
func (n *Node) warnVoters(configured []uint64) {
	have := slices.Sorted(slices.Values(n.confState.GetVoters()))
	want := slices.Sorted(slices.Values(configured))
	if !slices.Equal(have, want) {
		ids := func(v []uint64) []int32 {
			out := make([]int32, len(v))
			for i, id := range v {
				out[i] = NodeID(id)
			}
			return out
		}
		n.log.Warn("configured quorum voters differ from the metadata log's; using the log's",
			"configured", ids(want), "log", ids(have), "dir", n.cfg.Dir)
	}
}
