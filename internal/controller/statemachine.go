package controller

import (
	"fmt"

	"github.com/strom-project/strom/internal/metadata"
)

// stateMachine is the Controller seen by the raft node: it turns applied
// entries into images. Its methods run on the raft goroutine only.
type stateMachine Controller

func (sm *stateMachine) Restore(index uint64, data []byte) error {
	var recs []metadata.Record
	if len(data) > 0 {
		var err error
		if recs, err = metadata.DecodeBatch(data); err != nil {
			return fmt.Errorf("controller: decode snapshot: %w", err)
		}
	}
	next, err := metadata.NewImage().Apply(index, recs)
	if err != nil {
		return fmt.Errorf("controller: apply snapshot: %w", err)
	}
	sm.delta = nil
	sm.publish(next)
	return nil
}

// Apply adds the entry to the pending delta; Flush publishes the image of
// all entries of one raft Ready at once (a replay of thousands of entries
// copies the topic maps once, not once per entry).
func (sm *stateMachine) Apply(index uint64, data []byte) error {
	recs, err := metadata.DecodeBatch(data)
	if err != nil {
		sm.log.Error("skipping undecodable metadata entry", "offset", index, "err", err)
		return err
	}
	if sm.delta == nil {
		sm.delta = (*Controller)(sm).Image().NewDelta()
	}
	if err := sm.delta.Apply(index, recs); err != nil {
		sm.log.Error("skipping metadata entry that does not apply", "offset", index, "err", err)
		return err
	}
	return nil
}

func (sm *stateMachine) Flush() error {
	if sm.delta != nil && sm.delta.Changed() {
		sm.publish(sm.delta.Image())
	}
	sm.delta = nil
	return nil
}

func (sm *stateMachine) Snapshot() ([]byte, error) {
	return metadata.EncodeBatch((*Controller)(sm).Image().Records()), nil
}

func (sm *stateMachine) publish(next *metadata.Image) {
	prev := sm.image.Swap(next)
	if next.ClusterID != "" {
		sm.clusterOnce.Do(func() { close(sm.clusterIDc) })
	}
	sm.subsMu.Lock()
	subs := sm.subs
	sm.subsMu.Unlock()
	for _, fn := range subs {
		fn(prev, next)
	}
}
