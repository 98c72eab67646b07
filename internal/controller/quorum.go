package controller

import (
	"context"
	"fmt"

	"github.com/strom-project/strom/internal/raft"
)

// QuorumStatus reports the metadata quorum as this node sees it; only the
// raft leader knows the other members' log ends.
func (c *Controller) QuorumStatus(ctx context.Context) (raft.QuorumStatus, error) {
	if !c.running.Load() { // c.node is set before running, read after it
		return raft.QuorumStatus{}, fmt.Errorf("%w: controller not started", ErrNotController)
	}
	return c.node.Status(ctx)
}
