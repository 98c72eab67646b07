package metadata

import "fmt"

// Delta applies several batches to an image and publishes one new image for
// all of them, so a run of entries (a replay, one raft Ready) copies each
// changed map once instead of once per batch. Every batch stays atomic: a
// batch that fails leaves the Delta as it was before that batch.
//
// A Delta is not safe for concurrent use.
type Delta struct {
	base     *Image
	b        builder
	accepted []appliedBatch // batches in b, to rebuild it if a batch fails midway
}

type appliedBatch struct {
	offset uint64
	recs   []Record
}

// NewDelta starts a Delta on im. im is never mutated.
func (im *Image) NewDelta() *Delta {
	d := &Delta{}
	d.reset(im)
	return d
}

func (d *Delta) reset(im *Image) {
	d.base = im
	d.b = builder{next: im.shallowCopy()}
	d.accepted = d.accepted[:0]
}

// Apply adds the batch at offset; on error (wrapping ErrInvalidRecord) the
// batch is not applied and the Delta holds the batches before it.
func (d *Delta) Apply(offset uint64, recs []Record) error {
	prevOffset := d.b.next.Offset
	d.b.next.Offset = offset
	for i, r := range recs {
		if err := d.b.apply(r); err != nil {
			// The builder may hold part of this batch: rebuild it from the
			// base with the batches accepted so far (rare: a bug or a
			// corrupt log, never a client error).
			accepted := d.accepted
			d.reset(d.base)
			for _, ab := range accepted {
				d.b.next.Offset = ab.offset
				for _, r := range ab.recs {
					if err := d.b.apply(r); err != nil {
						panic(fmt.Sprintf("metadata: re-applying an accepted batch failed: %v", err))
					}
				}
			}
			d.accepted = accepted
			d.b.next.Offset = prevOffset
			return fmt.Errorf("record %d (%s): %w", i, r.Type(), err)
		}
	}
	d.accepted = append(d.accepted, appliedBatch{offset, recs})
	return nil
}

// Changed reports whether any batch was applied since the last Image call.
func (d *Delta) Changed() bool { return len(d.accepted) > 0 }

// Image returns the image with every accepted batch applied (the base image
// itself if none was). The Delta then continues from that image; the
// returned image is never mutated afterwards.
func (d *Delta) Image() *Image {
	if len(d.accepted) == 0 {
		return d.base
	}
	next := d.b.next
	d.reset(next)
	return next
}
