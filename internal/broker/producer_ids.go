package broker

import (
	"context"
	"sync"
)

// producerIDs hands out producer ids from blocks the controller commits to
// the metadata log, so a restart never reuses one.
type producerIDs struct {
	alloc func(ctx context.Context) (first int64, n int32, err error)

	mu        sync.Mutex
	next, end int64
}

func (p *producerIDs) allocate(ctx context.Context) (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.next >= p.end {
		first, n, err := p.alloc(ctx)
		if err != nil {
			return -1, err
		}
		p.next, p.end = first, first+int64(n)
	}
	id := p.next
	p.next++
	return id, nil
}
