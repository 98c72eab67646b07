package replica

import (
	"errors"
	"sync/atomic"

	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/storage"
)

// Errors the API layer maps to Kafka codes.
var (
	ErrUnknownTopicOrPartition = errors.New("replica: unknown topic or partition") // UNKNOWN_TOPIC_OR_PARTITION
	ErrNotLeader               = errors.New("replica: not the leader")             // NOT_LEADER_OR_FOLLOWER
	ErrFencedLeaderEpoch       = errors.New("replica: fenced leader epoch")        // FENCED_LEADER_EPOCH
	ErrUnknownLeaderEpoch      = errors.New("replica: unknown leader epoch")       // UNKNOWN_LEADER_EPOCH
)

// Partition is one partition hosted on this broker. The log is safe for
// concurrent use; state is replaced atomically on metadata changes.
type Partition struct {
	Topic   string
	TopicID metadata.Uuid
	Index   int32
	// Internal marks __consumer_offsets and the like: clients may not
	// produce to them.
	Internal bool
	Log      *storage.Log
	state    atomic.Pointer[metadata.Partition]
	nodeID   int32
}

// State is the partition's current placement and leadership.
func (p *Partition) State() *metadata.Partition { return p.state.Load() }

// IsLeader reports whether this node leads the partition.
func (p *Partition) IsLeader() bool { return p.state.Load().Leader == p.nodeID }

// CheckEpoch validates a client's current leader epoch (KIP-320): -1 means
// the client does not know it.
func (p *Partition) CheckEpoch(clientEpoch int32) error {
	if clientEpoch < 0 {
		return nil
	}
	e := p.state.Load().LeaderEpoch
	switch {
	case clientEpoch < e:
		return ErrFencedLeaderEpoch
	case clientEpoch > e:
		return ErrUnknownLeaderEpoch
	}
	return nil
}

// Append writes one produce partition's batches as leader and advances the
// high watermark. With one replica every appended record is committed.
func (p *Partition) Append(records []byte, acks int16) (storage.AppendResult, error) {
	st := p.state.Load()
	if st.Leader != p.nodeID {
		return storage.AppendResult{}, ErrNotLeader
	}
	res, err := p.Log.Append(records, storage.AppendOptions{LeaderEpoch: st.LeaderEpoch, RequiredAcks: acks})
	if err != nil {
		return res, err
	}
	if len(st.Replicas) == 1 {
		p.Log.SetHighWatermark(p.Log.LogEndOffset())
	}
	return res, nil
}

// AppendCoordinator writes the broker's own records (the group
// coordinator's, later the transaction coordinator's) as leader: producer
// sequences are not checked and control batches are allowed. It returns
// once the records are committed; with one replica that is when the append
// returns.
func (p *Partition) AppendCoordinator(records []byte) (storage.AppendResult, error) {
	st := p.state.Load()
	if st.Leader != p.nodeID {
		return storage.AppendResult{}, ErrNotLeader
	}
	res, err := p.Log.Append(records, storage.AppendOptions{LeaderEpoch: st.LeaderEpoch, RequiredAcks: -1, Origin: storage.AppendCoordinator})
	if err != nil {
		return res, err
	}
	if len(st.Replicas) == 1 {
		p.Log.SetHighWatermark(p.Log.LogEndOffset())
	}
	return res, nil
}
