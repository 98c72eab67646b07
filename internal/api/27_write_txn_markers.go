package api

// WriteTxnMarkers (key 27), v0–1: the transaction coordinator asks the
// leaders of a transaction's partitions to write its COMMIT or ABORT marker
// (KIP-98). Each partition gets one control batch, appended with the
// coordinator's origin and answered once committed (acks=all), so the LSO
// and read_committed consumers move only past markers that cannot be lost.
//
//   - Per-partition errors: UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER,
//     NOT_ENOUGH_REPLICAS(_AFTER_APPEND), INVALID_PRODUCER_EPOCH (a marker
//     older than the producer's epoch), TRANSACTION_COORDINATOR_FENCED (an
//     older coordinator epoch), REQUEST_TIMED_OUT.
//   - Served on client listeners for now; Kafka requires CLUSTER_ACTION
//     (issue 7, authorization).
//   - Partitions are written concurrently: the response waits for the
//     slowest, not for the sum.
//   - v1 is flexible; v2 (KIP-890 transaction version) is not advertised.

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/storage"
	"github.com/strom-project/strom/internal/wire"
)

// markerTimeout bounds the wait for a marker to replicate: Kafka uses the
// broker's request.timeout.ms (default 30 s) for these appends.
const markerTimeout = 30 * time.Second

func (h *Handlers) writeTxnMarkersAPI() wire.API {
	return wire.API{Key: 27, Min: 0, Max: 1, Handle: typed(h.writeTxnMarkers)}
}

func (h *Handlers) writeTxnMarkers(ctx context.Context, c *wire.Conn, req *kmsg.WriteTxnMarkersRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.WriteTxnMarkersResponse)
	// ALTER or CLUSTER_ACTION on the cluster (Kafka), else every
	// partition fails and no marker is written.
	denied := !h.allowedCluster(c, opAlter) && !h.allowedCluster(c, opClusterAction)
	ctx, cancel := context.WithTimeout(ctx, markerTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, m := range req.Markers {
		rm := kmsg.NewWriteTxnMarkersResponseMarker()
		rm.ProducerID = m.ProducerID
		for _, t := range m.Topics {
			rt := kmsg.NewWriteTxnMarkersResponseMarkerTopic()
			rt.Topic = t.Topic
			rt.Partitions = make([]kmsg.WriteTxnMarkersResponseMarkerTopicPartition, len(t.Partitions))
			for i, part := range t.Partitions {
				rp := &rt.Partitions[i]
				*rp = kmsg.NewWriteTxnMarkersResponseMarkerTopicPartition()
				rp.Partition = part
				if denied {
					rp.ErrorCode = errClusterAuthz
					continue
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					rp.ErrorCode = h.writeTxnMarker(ctx, t.Topic, part, &m)
				}()
			}
			rm.Topics = append(rm.Topics, rt)
		}
		resp.Markers = append(resp.Markers, rm)
	}
	wg.Wait()
	return resp, nil
}

// writeTxnMarker writes one partition's marker and returns its error code.
func (h *Handlers) writeTxnMarker(ctx context.Context, topic string, partition int32, m *kmsg.WriteTxnMarkersRequestMarker) int16 {
	p, err := h.Replicas.Partition(topic, partition)
	if err != nil {
		return codeFor(err)
	}
	_, err = p.AppendTxnMarker(ctx, m.ProducerID, m.ProducerEpoch, m.Committed, m.CoordinatorEpoch)
	switch {
	case err == nil:
		if h.OnTxnMarker != nil {
			h.OnTxnMarker(topic, partition, m.ProducerID, m.ProducerEpoch, m.Committed)
		}
		return 0
	case errors.Is(err, storage.ErrCoordinatorFenced):
		return kerr.TransactionCoordinatorFenced.Code
	case errors.Is(err, context.DeadlineExceeded):
		return kerr.RequestTimedOut.Code
	}
	code := produceCode(err)
	if code == kerr.UnknownServerError.Code {
		h.Logger.Error("writing transaction marker", "topic", topic, "partition", partition, "err", err)
	}
	return code
}
