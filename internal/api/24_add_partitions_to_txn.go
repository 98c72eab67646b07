package api

// AddPartitionsToTxn (key 24), v0–5.
//
//   - v0–3: one transaction, from the producer; v2 brings PRODUCER_FENCED
//     (older versions get INVALID_PRODUCER_EPOCH); v3 flexible.
//   - v4+ (KIP-890 part 1): a batch of transactions with a top-level error
//     code, and verifyOnly, with which a partition leader checks that a
//     transactional produce belongs to the ongoing transaction.
//   - An unknown topic or partition fails the whole transaction's request:
//     it gets UNKNOWN_TOPIC_OR_PARTITION and the rest OPERATION_NOT_ATTEMPTED,
//     as Kafka. Otherwise every partition gets the coordinator's answer.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/coordinator/txn"
	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) addPartitionsToTxnAPI() wire.API {
	return wire.API{Key: 24, Min: 0, Max: 5, Handle: typed(h.addPartitionsToTxn)}
}

func (h *Handlers) addPartitionsToTxn(ctx context.Context, c *wire.Conn, req *kmsg.AddPartitionsToTxnRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.AddPartitionsToTxnResponse)
	if req.Version >= 4 && !h.allowedCluster(c, opClusterAction) {
		// v4+ batches come from brokers verifying transactions (KIP-890).
		resp.ErrorCode = errClusterAuthz
		return resp, nil
	}
	if req.Version < 4 {
		t := kmsg.NewAddPartitionsToTxnRequestTransaction()
		t.TransactionalID, t.ProducerID, t.ProducerEpoch = req.TransactionalID, req.ProducerID, req.ProducerEpoch
		for _, rt := range req.Topics {
			tt := kmsg.NewAddPartitionsToTxnRequestTransactionTopic()
			tt.Topic, tt.Partitions = rt.Topic, rt.Partitions
			t.Topics = append(t.Topics, tt)
		}
		res := h.addTxnPartitions(ctx, c, req.Version, &t)
		for _, rt := range res.Topics {
			ot := kmsg.NewAddPartitionsToTxnResponseTopic()
			ot.Topic = rt.Topic
			for _, p := range rt.Partitions {
				op := kmsg.NewAddPartitionsToTxnResponseTopicPartition()
				op.Partition, op.ErrorCode = p.Partition, p.ErrorCode
				ot.Partitions = append(ot.Partitions, op)
			}
			resp.Topics = append(resp.Topics, ot)
		}
		return resp, nil
	}
	for i := range req.Transactions {
		resp.Transactions = append(resp.Transactions, h.addTxnPartitions(ctx, c, req.Version, &req.Transactions[i]))
	}
	return resp, nil
}

func (h *Handlers) addTxnPartitions(ctx context.Context, c *wire.Conn, version int16, t *kmsg.AddPartitionsToTxnRequestTransaction) kmsg.AddPartitionsToTxnResponseTransaction {
	out := kmsg.NewAddPartitionsToTxnResponseTransaction()
	out.TransactionalID = t.TransactionalID
	im := h.Ctrl.Image()
	// Clients (v0–3) need WRITE on the transactional id, else every
	// partition fails, and WRITE on each topic (never granted for an
	// internal one); brokers' v4+ batches passed CLUSTER_ACTION.
	idOK := version >= 4 || h.allowed(c, opWrite, rtTxnID, t.TransactionalID)
	writeOK := func(string) bool { return true }
	if version < 4 {
		writeOK = h.allowedNames(c, opWrite, rtTopic)
	}
	var tps []txn.TopicPartition
	unknown := map[txn.TopicPartition]int16{} // partitions that fail the request, with their error
	for _, rt := range t.Topics {
		topic := im.Topics[rt.Topic]
		for _, p := range rt.Partitions {
			tp := txn.TopicPartition{Topic: rt.Topic, Partition: p}
			switch {
			case !idOK:
				unknown[tp] = errTxnIDAuthz
			case !writeOK(rt.Topic) || (version < 4 && topic != nil && topic.Internal):
				unknown[tp] = errTopicAuthz
			case topic == nil || p < 0 || int(p) >= len(topic.Partitions):
				unknown[tp] = kerr.UnknownTopicOrPartition.Code
			}
			tps = append(tps, tp)
		}
	}
	var code int16
	if len(unknown) == 0 {
		err := h.Txn.AddPartitions(ctx, t.TransactionalID, t.ProducerID, t.ProducerEpoch, tps, t.VerifyOnly)
		code = txnErrCode(err, version, 2)
	}
	for _, rt := range t.Topics {
		ot := kmsg.NewAddPartitionsToTxnResponseTransactionTopic()
		ot.Topic = rt.Topic
		for _, p := range rt.Partitions {
			op := kmsg.NewAddPartitionsToTxnResponseTransactionTopicPartition()
			op.Partition, op.ErrorCode = p, code
			if len(unknown) > 0 {
				op.ErrorCode = kerr.OperationNotAttempted.Code
				if fail, ok := unknown[txn.TopicPartition{Topic: rt.Topic, Partition: p}]; ok {
					op.ErrorCode = fail
				}
			}
			ot.Partitions = append(ot.Partitions, op)
		}
		out.Topics = append(out.Topics, ot)
	}
	return out
}
