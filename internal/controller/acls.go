package controller

import (
	"context"
	"crypto/rand"
	"fmt"
	"maps"
	"slices"

	"github.com/strom-project/strom/internal/auth"
	"github.com/strom-project/strom/internal/metadata"
)

// CreateAcls adds ACLs (Kafka's AclControlManager): each is validated
// (ErrInvalidRequest with Kafka's message); one equal to an existing ACL
// succeeds without a second copy; the valid ones commit as one metadata
// entry with fresh ids.
func (c *Controller) CreateAcls(ctx context.Context, acls []metadata.ACL) []error {
	return c.batchWrite(ctx, len(acls), false, func(im *metadata.Image) itemBuilder {
		have := map[metadata.ACL]bool{}
		for _, a := range im.ACLs {
			have[a] = true
		}
		return func(i, _ int) ([]metadata.Record, error) {
			a := acls[i]
			if err := auth.ValidateACL(a); err != nil {
				return nil, fmt.Errorf("%w: %s", ErrInvalidRequest, err)
			}
			if have[a] {
				return nil, nil
			}
			have[a] = true // a duplicate within the request is written once
			var id metadata.Uuid
			rand.Read(id[:])
			return []metadata.Record{&metadata.AccessControlEntryRecord{ID: id, ACL: a}}, nil
		}
	})
}

// DeleteAcls removes the ACLs each filter matches and returns them per
// filter; an ACL two filters match is removed once and reported by both,
// as Kafka does.
func (c *Controller) DeleteAcls(ctx context.Context, filters []auth.Filter) ([][]metadata.ACL, []error) {
	matched := make([][]metadata.ACL, len(filters))
	errs := c.batchWrite(ctx, len(filters), false, func(im *metadata.Image) itemBuilder {
		removed := map[metadata.Uuid]bool{}
		ids := slices.SortedFunc(maps.Keys(im.ACLs), func(a, b metadata.Uuid) int { return slices.Compare(a[:], b[:]) })
		return func(i, _ int) ([]metadata.Record, error) {
			if err := auth.ValidateFilter(filters[i]); err != nil {
				return nil, fmt.Errorf("%w: %s", ErrInvalidRequest, err)
			}
			var recs []metadata.Record
			for _, id := range ids {
				a := im.ACLs[id]
				if !filters[i].Matches(a) {
					continue
				}
				matched[i] = append(matched[i], a)
				if !removed[id] {
					removed[id] = true
					recs = append(recs, &metadata.RemoveAccessControlEntryRecord{ID: id})
				}
			}
			return recs, nil
		}
	})
	for i, err := range errs {
		if err != nil {
			matched[i] = nil
		}
	}
	return matched, errs
}
