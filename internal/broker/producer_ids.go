package broker

import (
	"context"
	"sync"

	"github.com/strom-project/strom/internal/controller"
)

// producerIDs hands out producer ids from blocks the controller commits to
// the metadata log, so a restart never reuses one.
type producerIDs struct {
	ctrl   *controller.Controller
	nodeID int32

	mu        sync.Mutex
	next, end int64
}

func (p *producerIDs) allocate(ctx context.Context) (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.next >= p.end {
		first, n, err := p.ctrl.AllocateProducerIDs(ctx, p.nodeID)
		if err != nil {
			return -1, err
		}
		p.next, p.end = first, first+int64(n)
	}
	id := p.next
	p.next++
	return id, nil
}
