package controller

import (
	"context"

	"github.com/strom-project/strom/internal/metadata"
)

// itemBuilder builds one item's records; pending is how many records the
// items before it added (for the request-size bound).
type itemBuilder func(i, pending int) ([]metadata.Record, error)

// batchWrite is the shape of Kafka's batch admin writes (CreatePartitions,
// AlterConfigs, AlterClientQuotas). On the event loop, prepare gets the
// active image and returns the builder for the n items (it may set up
// state shared by the items: a placer, duplicate counts). An item whose
// builder fails gets that error and writes nothing; the others commit as
// one metadata entry, none with validateOnly, and a failed proposal is the
// error of each of them. A whole-request failure (not the active
// controller, a done ctx) is the error of every item without one.
func (c *Controller) batchWrite(ctx context.Context, n int, validateOnly bool, prepare func(im *metadata.Image) itemBuilder) []error {
	errs := make([]error, n)
	err := c.do(ctx, func() {
		im, err := c.activeImage(ctx)
		if err != nil {
			for i := range errs {
				errs[i] = err
			}
			return
		}
		build := prepare(im)
		var recs []metadata.Record
		var ok []int
		for i := range n {
			more, err := build(i, len(recs))
			if err != nil {
				errs[i] = err
				continue
			}
			recs = append(recs, more...)
			ok = append(ok, i)
		}
		if validateOnly || len(ok) == 0 {
			return
		}
		if _, err := c.propose(ctx, recs); err != nil {
			for _, i := range ok {
				errs[i] = err
			}
		}
	})
	if err != nil {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
	}
	return errs
}
