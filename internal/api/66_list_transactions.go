package api

// ListTransactions (key 66), v0–1 (KIP-664; v1 duration filter, KIP-994).
//
// Lists the transactions this broker coordinates, filtered by state names
// and producer ids; state names Kafka does not define are echoed in
// UnknownStateFilters. COORDINATOR_LOAD_IN_PROGRESS while a partition
// loads. v2's transactional id pattern is not served.

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/coordinator/txn"
	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) listTransactionsAPI() wire.API {
	return wire.API{Key: 66, Min: 0, Max: 1, Handle: typed(h.listTransactions)}
}

func (h *Handlers) listTransactions(ctx context.Context, c *wire.Conn, req *kmsg.ListTransactionsRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.ListTransactionsResponse)
	var f txn.ListFilter
	for _, name := range req.StateFilters {
		s, ok := txn.ParseState(name)
		if !ok {
			resp.UnknownStateFilters = append(resp.UnknownStateFilters, name)
			continue
		}
		f.States = append(f.States, s)
	}
	if len(req.StateFilters) > 0 && len(f.States) == 0 {
		return resp, nil // only unknown states: nothing matches
	}
	f.ProducerIDs = req.ProducerIDFilters
	f.MinDuration = time.Duration(req.DurationFilterMillis) * time.Millisecond
	list, loading := h.Txn.List(ctx, f)
	if loading {
		resp.ErrorCode = kerr.CoordinatorLoadInProgress.Code
		return resp, nil
	}
	for _, d := range list {
		if !h.allowed(c, opDescribe, rtTxnID, d.TransactionalID) {
			continue // only ids the principal may DESCRIBE
		}
		st := kmsg.NewListTransactionsResponseTransactionState()
		st.TransactionalID, st.ProducerID, st.TransactionState = d.TransactionalID, d.ProducerID, d.State.String()
		resp.TransactionStates = append(resp.TransactionStates, st)
	}
	return resp, nil
}
