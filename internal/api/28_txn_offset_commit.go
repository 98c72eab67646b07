package api

// TxnOffsetCommit (key 28), v0–3.
//
//   - The producer's consumed offsets, committed inside its transaction
//     (after AddOffsetsToTxn): the group coordinator writes them as a
//     transactional batch and keeps them pending until the transaction's
//     marker reaches the group's __consumer_offsets partition — visible
//     on COMMIT, dropped on ABORT.
//   - v2: leader epoch; v3 (KIP-447): flexible, with the consumer's
//     generation, member id and instance id, fenced like OffsetCommit.
//   - v4 (KIP-890 part 1): the transaction coordinator first verifies
//     that the group's __consumer_offsets partition is in the ongoing
//     transaction; v5 (part 2, transaction version 2, no AddOffsetsToTxn)
//     adds it instead.
//   - Partitions of unknown topics get UNKNOWN_TOPIC_OR_PARTITION.

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/coordinator/group"
	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) txnOffsetCommitAPI() wire.API {
	return wire.API{Key: 28, Min: 0, Max: 5, Handle: typed(h.txnOffsetCommit)}
}

func (h *Handlers) txnOffsetCommit(ctx context.Context, c *wire.Conn, req *kmsg.TxnOffsetCommitRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.TxnOffsetCommitResponse)
	im := h.Ctrl.Image()
	// WRITE on the transactional id, then READ on the group (else every
	// partition fails), then READ on each topic.
	var denied int16
	switch {
	case !h.allowed(c, opWrite, rtTxnID, req.TransactionalID):
		denied = errTxnIDAuthz
	case !h.allowed(c, opRead, rtGroup, req.Group):
		denied = errGroupAuthz
	}
	readOK := h.allowedNames(c, opRead, rtTopic)
	cr := group.TxnCommitRequest{
		TransactionalID: req.TransactionalID, ProducerID: req.ProducerID, ProducerEpoch: req.ProducerEpoch,
		Group: req.Group, Generation: -1,
	}
	if req.Version >= 3 {
		cr.Generation, cr.MemberID, cr.InstanceID = req.Generation, req.MemberID, req.InstanceID
	}
	slot := make([][]int, len(req.Topics))
	for i, rt := range req.Topics {
		st := kmsg.NewTxnOffsetCommitResponseTopic()
		st.Topic = rt.Topic
		t := im.Topics[rt.Topic]
		slot[i] = make([]int, len(rt.Partitions))
		for j, rp := range rt.Partitions {
			sp := kmsg.NewTxnOffsetCommitResponseTopicPartition()
			sp.Partition = rp.Partition
			st.Partitions = append(st.Partitions, sp)
			if denied != 0 || !readOK(rt.Topic) {
				st.Partitions[j].ErrorCode = errTopicAuthz
				if denied != 0 {
					st.Partitions[j].ErrorCode = denied
				}
				slot[i][j] = -1
				continue
			}
			if t == nil || rp.Partition < 0 || int(rp.Partition) >= len(t.Partitions) {
				st.Partitions[j].ErrorCode = kerr.UnknownTopicOrPartition.Code
				slot[i][j] = -1
				continue
			}
			slot[i][j] = len(cr.Offsets)
			cr.Offsets = append(cr.Offsets, group.CommitOffset{
				TopicPartition: group.TopicPartition{Topic: rt.Topic, Partition: rp.Partition},
				Offset:         rp.Offset, LeaderEpoch: rp.LeaderEpoch, Metadata: rp.Metadata, Timestamp: -1,
			})
		}
		resp.Topics = append(resp.Topics, st)
	}
	if len(cr.Offsets) == 0 {
		return resp, nil
	}
	if req.Version >= 4 {
		if err := h.verifyTxnOffsets(ctx, req); err != nil {
			for i := range resp.Topics {
				for j := range resp.Topics[i].Partitions {
					if slot[i][j] >= 0 {
						resp.Topics[i].Partitions[j].ErrorCode = codeFor(err)
					}
				}
			}
			return resp, nil
		}
	}
	errs := h.Groups.TxnCommit(ctx, cr)
	for i := range resp.Topics {
		for j := range resp.Topics[i].Partitions {
			if k := slot[i][j]; k >= 0 {
				resp.Topics[i].Partitions[j].ErrorCode = codeFor(errs[k])
				h.logGroupError("TxnOffsetCommit", req.Group, errs[k])
			}
		}
	}
	return resp, nil
}

// verifyTxnOffsets is KIP-890 for TxnOffsetCommit v4+: the group's
// __consumer_offsets partition must be in the transaction (v4), or joins
// it (v5), before offsets are written under it.
func (h *Handlers) verifyTxnOffsets(ctx context.Context, req *kmsg.TxnOffsetCommitRequest) error {
	if h.VerifyTxnPartition == nil {
		return nil
	}
	t := h.Ctrl.Image().Topics[group.OffsetsTopic]
	if t == nil || len(t.Partitions) == 0 {
		return kerr.CoordinatorNotAvailable
	}
	p := group.PartitionFor(req.Group, int32(len(t.Partitions)))
	err := h.VerifyTxnPartition(ctx, req.TransactionalID, req.ProducerID, req.ProducerEpoch, group.OffsetsTopic, p, req.Version >= 5)
	switch {
	case errors.Is(err, kerr.NotEnoughReplicas):
		// The coordinator is busy or unreachable: the client retries
		// this, as Kafka's group coordinator maps it.
		return kerr.CoordinatorNotAvailable
	case errors.Is(err, kerr.ProducerFenced):
		return kerr.InvalidProducerEpoch
	}
	return err
}
