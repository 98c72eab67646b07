package replica

import (
	"context"

	"github.com/strom-project/strom/internal/record"
	"github.com/strom-project/strom/internal/storage"
)

// AppendTxnMarker writes a COMMIT or ABORT marker for producerID's
// transaction as leader (Kafka's appendRecords with origin COORDINATOR for
// WriteTxnMarkers) and waits until it is committed, as acks=all would: the
// LSO moves, and consumers may act on the outcome, only once the marker
// cannot be lost. Errors: ErrNotLeader, ErrNotEnoughReplicas(AfterAppend),
// storage.ErrInvalidProducerEpoch / ErrCoordinatorFenced for a stale
// marker, or ctx's error.
func (p *Partition) AppendTxnMarker(ctx context.Context, producerID int64, epoch int16, commit bool, coordinatorEpoch int32) (storage.AppendResult, error) {
	batch, err := record.BuildEndTxnMarker(nil, producerID, epoch, commit, coordinatorEpoch, p.m.now().UnixMilli())
	if err != nil {
		return storage.AppendResult{}, err
	}
	res, err := p.appendAsLeader(batch, -1, storage.AppendCoordinator)
	if err != nil {
		return res.AppendResult, err
	}
	return res.AppendResult, p.WaitCommitted(ctx, res.LeaderEpoch, res.LastOffset+1)
}
