package broker

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/api"
	"github.com/strom-project/strom/internal/controller"
	"github.com/strom-project/strom/internal/ctrlclient"
	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/wire"
)

// controllerRequests turns what this broker's subsystems need from the
// controller into Kafka requests to the active controller. It implements
// group.Metadata.
type controllerRequests struct {
	ctrl   *controller.Controller // the local image
	client *ctrlclient.Client
	nodeID int32
	epoch  func() int64 // this broker's epoch (lifecycle)
}

// Image is the local metadata image.
func (r *controllerRequests) Image() *metadata.Image { return r.ctrl.Image() }

// CreateInternalTopic creates __consumer_offsets (and later
// __transaction_state) through the active controller.
func (r *controllerRequests) CreateInternalTopic(ctx context.Context, t controller.CreateTopic) controller.CreateTopicResult {
	res := controller.CreateTopicResult{Name: t.Name}
	req := kmsg.NewPtrCreateTopicsRequest()
	req.SetVersion(7)
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = t.Name, t.NumPartitions, t.ReplicationFactor
	for k, v := range t.Configs {
		c := kmsg.NewCreateTopicsRequestTopicConfig()
		c.Name, c.Value = k, &v
		rt.Configs = append(rt.Configs, c)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := r.client.Do(ctx, req)
	if err != nil {
		res.Err = err
		return res
	}
	for _, got := range resp.(*kmsg.CreateTopicsResponse).Topics {
		switch err := kerr.ErrorForCode(got.ErrorCode); {
		case err == nil:
			res.ID, res.NumPartitions, res.ReplicationFactor = got.TopicID, got.NumPartitions, got.ReplicationFactor
		case errors.Is(err, kerr.TopicAlreadyExists):
			res.Err = fmt.Errorf("%w: %s", controller.ErrTopicExists, t.Name)
		default:
			res.Err = fmt.Errorf("creating %s: %w", t.Name, err)
		}
	}
	return res
}

// AlterPartition proposes a new ISR for a partition this broker leads and
// returns the committed state.
func (r *controllerRequests) AlterPartition(ctx context.Context, topicID metadata.Uuid, partition, leaderEpoch, partitionEpoch int32, newISR []int32) (*metadata.Partition, error) {
	req := kmsg.NewPtrAlterPartitionRequest()
	req.SetVersion(2)
	req.BrokerID, req.BrokerEpoch = r.nodeID, r.epoch()
	rt := kmsg.NewAlterPartitionRequestTopic()
	rt.TopicID = topicID
	rp := kmsg.NewAlterPartitionRequestTopicPartition()
	rp.Partition, rp.LeaderEpoch, rp.PartitionEpoch, rp.NewISR = partition, leaderEpoch, partitionEpoch, newISR
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := r.client.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	ar := resp.(*kmsg.AlterPartitionResponse)
	if err := kerr.ErrorForCode(ar.ErrorCode); err != nil {
		return nil, err
	}
	for _, t := range ar.Topics {
		for _, p := range t.Partitions {
			if p.Partition != partition {
				continue
			}
			if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
				return nil, err
			}
			st := &metadata.Partition{Partition: p.Partition, ISR: p.ISR, Leader: p.LeaderID, LeaderEpoch: p.LeaderEpoch, PartitionEpoch: p.PartitionEpoch}
			if t := r.ctrl.Image().TopicsByID[topicID]; t != nil && int(partition) < len(t.Partitions) {
				st.Replicas = t.Partitions[partition].Replicas
			}
			return st, nil
		}
	}
	return nil, fmt.Errorf("AlterPartition response has no result for partition %d", partition)
}

// allocateProducerIDs takes a block of producer ids.
func (r *controllerRequests) allocateProducerIDs(ctx context.Context) (first int64, n int32, err error) {
	req := kmsg.NewPtrAllocateProducerIDsRequest()
	req.BrokerID, req.BrokerEpoch = r.nodeID, r.epoch()
	resp, err := r.client.Do(ctx, req)
	if err != nil {
		return 0, 0, err
	}
	ar := resp.(*kmsg.AllocateProducerIDsResponse)
	if err := kerr.ErrorForCode(ar.ErrorCode); err != nil {
		return 0, 0, err
	}
	return ar.ProducerIDStart, ar.ProducerIDLen, nil
}

// localController serves a controller request in process through the
// CONTROLLER listener's registry (this node is the active controller).
func localController(reg *wire.Registry, listener string) func(context.Context, kmsg.Request) (kmsg.Response, error) {
	conn := api.InProcessConn(listener) // never crosses a listener: trusted
	return func(ctx context.Context, req kmsg.Request) (kmsg.Response, error) {
		a := reg.Lookup(req.Key())
		if a == nil {
			return nil, fmt.Errorf("the controller does not serve %s", kmsg.NameForKey(req.Key()))
		}
		return a.Handle(ctx, conn, wire.Header{Key: req.Key(), Version: req.GetVersion()}, req)
	}
}
