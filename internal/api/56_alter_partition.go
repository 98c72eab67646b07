package api

// AlterPartition (key 56), v2–3, served on the CONTROLLER listener
// (KIP-497, KIP-841). A partition leader asks the controller to change the
// ISR; the change counts only once committed to the metadata log. v2 names
// topics by id; v3 carries each ISR member's broker epoch, which is
// checked against the registration so a restarted broker's old
// incarnation cannot rejoin an ISR.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/controller"
	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) alterPartitionAPI() wire.API {
	return wire.API{Key: 56, Min: 2, Max: 3, Handle: typed(h.alterPartition)}
}

func (h *Handlers) alterPartition(ctx context.Context, c *wire.Conn, req *kmsg.AlterPartitionRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.AlterPartitionResponse)
	if !h.allowedCluster(c, opClusterAction) {
		resp.ErrorCode = errClusterAuthz
		return resp, nil
	}
	var items []controller.AlterPartitionItem
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			it := controller.AlterPartitionItem{TopicID: metadata.Uuid(t.TopicID), Partition: p.Partition,
				LeaderEpoch: p.LeaderEpoch, PartitionEpoch: p.PartitionEpoch, NewISR: p.NewISR}
			if req.Version >= 3 {
				it.NewISR = make([]int32, 0, len(p.NewEpochISR))
				it.NewISRBrokerEpochs = make([]int64, 0, len(p.NewEpochISR))
				for _, m := range p.NewEpochISR {
					it.NewISR = append(it.NewISR, m.BrokerID)
					it.NewISRBrokerEpochs = append(it.NewISRBrokerEpochs, m.BrokerEpoch)
				}
			}
			items = append(items, it)
		}
	}
	results, err := h.Ctrl.AlterPartition(ctx, req.BrokerID, req.BrokerEpoch, items)
	if err != nil {
		resp.ErrorCode = codeFor(err)
		return resp, nil
	}
	byTopic := map[metadata.Uuid]int{}
	for _, r := range results {
		i, ok := byTopic[r.TopicID]
		if !ok {
			rt := kmsg.NewAlterPartitionResponseTopic()
			rt.TopidID = r.TopicID // sic: kmsg's field name
			resp.Topics = append(resp.Topics, rt)
			i = len(resp.Topics) - 1
			byTopic[r.TopicID] = i
		}
		rp := kmsg.NewAlterPartitionResponseTopicPartition()
		rp.Partition = r.Partition
		if r.Err != nil {
			rp.ErrorCode = codeFor(r.Err)
		} else if r.State != nil {
			rp.LeaderID, rp.LeaderEpoch, rp.ISR, rp.PartitionEpoch = r.State.Leader, r.State.LeaderEpoch, r.State.ISR, r.State.PartitionEpoch
		}
		resp.Topics[i].Partitions = append(resp.Topics[i].Partitions, rp)
	}
	return resp, nil
}
