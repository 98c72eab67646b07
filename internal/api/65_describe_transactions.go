package api

// DescribeTransactions (key 65), v0 (KIP-664).
//
// Each id is described by this broker if it coordinates it
// (NOT_COORDINATOR otherwise, so admin clients go to FindCoordinator);
// an id it coordinates but does not know gets TRANSACTIONAL_ID_NOT_FOUND.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) describeTransactionsAPI() wire.API {
	return wire.API{Key: 65, Min: 0, Max: 0, Handle: typed(h.describeTransactions)}
}

func (h *Handlers) describeTransactions(ctx context.Context, c *wire.Conn, req *kmsg.DescribeTransactionsRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.DescribeTransactionsResponse)
	describeOK := h.allowedNames(c, opDescribe, rtTopic)
	for _, id := range req.TransactionalIDs {
		st := kmsg.NewDescribeTransactionsResponseTransactionState()
		st.TransactionalID, st.ProducerID, st.ProducerEpoch, st.StartTimestamp = id, -1, -1, -1
		if !h.allowed(c, opDescribe, rtTxnID, id) {
			st.ErrorCode = errTxnIDAuthz
			resp.TransactionStates = append(resp.TransactionStates, st)
			continue
		}
		d, err := h.Txn.Describe(ctx, id)
		if err != nil {
			st.ErrorCode = codeFor(err)
			resp.TransactionStates = append(resp.TransactionStates, st)
			continue
		}
		st.State, st.ProducerID, st.ProducerEpoch = d.State.String(), d.ProducerID, d.ProducerEpoch
		st.TimeoutMillis = int32(d.Timeout.Milliseconds())
		if !d.Start.IsZero() {
			st.StartTimestamp = d.Start.UnixMilli()
		}
		for _, tp := range d.Partitions {
			if !describeOK(tp.Topic) {
				continue // only partitions the principal may DESCRIBE
			}
			if n := len(st.Topics); n > 0 && st.Topics[n-1].Topic == tp.Topic {
				st.Topics[n-1].Partitions = append(st.Topics[n-1].Partitions, tp.Partition)
				continue
			}
			t := kmsg.NewDescribeTransactionsResponseTransactionStateTopic()
			t.Topic, t.Partitions = tp.Topic, []int32{tp.Partition}
			st.Topics = append(st.Topics, t)
		}
		resp.TransactionStates = append(resp.TransactionStates, st)
	}
	return resp, nil
}
