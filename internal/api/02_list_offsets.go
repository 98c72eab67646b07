package api

// ListOffsets (key 2), v1–10.
//
//   - Timestamps: -1 latest (high watermark; last stable offset under
//     read_committed), -2 earliest, -3 max timestamp (v7, KIP-734),
//     -4 earliest local (v8), -5 latest tiered (v9): with no tiered storage
//     earliest-local is earliest and latest-tiered has no offset (-1).
//   - v2: isolation level; v4: current leader epoch (KIP-320) and the
//     returned leader epoch; v6: flexible; v10: timeout.
//   - Consumers (replica id -1) see offsets up to the high watermark. A
//     follower (replica id >= 0, after OFFSET_OUT_OF_RANGE) sees the log
//     end; replica id -2 (Kafka's debugging id) may also ask a follower.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/wire"
)

const (
	latestTimestamp       = -1
	earliestTimestamp     = -2
	maxTimestamp          = -3
	earliestLocal         = -4
	latestTieredTimestamp = -5
)

func (h *Handlers) listOffsetsAPI() wire.API {
	return wire.API{Key: 2, Min: 1, Max: 10, Handle: typed(h.listOffsets)}
}

func (h *Handlers) listOffsets(_ context.Context, c *wire.Conn, req *kmsg.ListOffsetsRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.ListOffsetsResponse)
	describeOK := h.allowedNames(c, opDescribe, rtTopic)
	for _, rt := range req.Topics {
		st := kmsg.NewListOffsetsResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewListOffsetsResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.Timestamp, sp.Offset, sp.LeaderEpoch = -1, -1, -1
			if !describeOK(rt.Topic) {
				sp.ErrorCode = errTopicAuthz
			} else if err := h.listOffset(rt.Topic, req.ReplicaID, req.Version >= 2 && req.IsolationLevel == 1, rp, &sp); err != nil {
				sp.ErrorCode = codeFor(err)
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp, nil
}

// debuggingReplicaID is Kafka's ListOffsetsRequest.DEBUGGING_REPLICA_ID.
const debuggingReplicaID = -2

func (h *Handlers) listOffset(topic string, replicaID int32, committed bool, rp kmsg.ListOffsetsRequestTopicPartition, sp *kmsg.ListOffsetsResponseTopicPartition) error {
	p, err := h.Replicas.Partition(topic, rp.Partition)
	if err != nil {
		return err
	}
	if err := p.CheckEpoch(rp.CurrentLeaderEpoch); err != nil {
		return err
	}
	if replicaID != debuggingReplicaID && !p.IsLeader() {
		return errNotLeader
	}
	lg := p.Log
	// Consumers read committed data only; replicas see the whole log.
	upTo := lg.HighWatermark()
	if committed {
		// read_committed: LATEST is the LSO and nothing of an open
		// transaction is found by timestamp (Kafka's lastFetchableOffset).
		upTo = min(lg.LastStableOffset(), upTo)
	}
	if replicaID >= 0 || replicaID == debuggingReplicaID {
		upTo = lg.LogEndOffset()
	}
	switch rp.Timestamp {
	case latestTimestamp:
		sp.Offset, sp.LeaderEpoch = upTo, lg.LatestEpoch()
	case earliestTimestamp, earliestLocal:
		sp.Offset = lg.LogStartOffset()
	case latestTieredTimestamp:
	case maxTimestamp:
		off, ts, epoch := lg.MaxTimestamp()
		if off >= 0 && off < upTo {
			sp.Offset, sp.Timestamp, sp.LeaderEpoch = off, ts, epoch
		}
	default:
		off, ts, epoch, ok := lg.OffsetForTimestamp(rp.Timestamp)
		if ok && off < upTo {
			sp.Offset, sp.Timestamp, sp.LeaderEpoch = off, ts, epoch
		}
	}
	return nil
}
