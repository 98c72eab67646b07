package broker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/api"
	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/coordinator/group"
	"github.com/strom-project/strom/internal/coordinator/txn"
	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/wire"
)

// newTxnCoordinator builds the transaction coordinator; its markers go to
// partition leaders through markerWriter. Its producer ids come from
// blocks of its own (the controller never hands a block out twice).
func (b *Broker) newTxnCoordinator(requests *controllerRequests) *txn.Coordinator {
	cfg := b.cfg
	pids := &producerIDs{alloc: requests.allocateProducerIDs}
	mw := &markerWriter{nodeID: cfg.NodeID, listener: cfg.InterBrokerListener, sec: b.interSec, image: b.ctrl.Image,
		local: b.server.Registry(), clients: map[int32]*wire.Client{}}
	b.markers = mw
	return txn.New(txn.Options{
		NodeID: cfg.NodeID, Config: txn.ConfigFrom(cfg), Metadata: requests, Replicas: b.replicas, Markers: mw,
		NewProducerID: pids.allocate, OffsetsPartitions: int32(cfg.Int("offsets.topic.num.partitions")),
		ExpectedBrokers: txnExpectedBrokers(cfg), Logger: b.logger.With("component", "txn-coordinator"),
	})
}

// wireTxn gives the API handlers the transaction coordinator, and tells
// the group coordinator of markers written to __consumer_offsets (its
// pending transactional offsets become visible or vanish).
func (b *Broker) wireTxn(h *api.Handlers) {
	h.Txn = b.txns
	h.VerifyTxnPartition = b.verifyTxnPartition
	groups := b.groups
	h.OnTxnMarker = func(topic string, partition int32, producerID int64, _ int16, commit bool) {
		if topic != group.OffsetsTopic {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), markerNotifyTimeout)
		defer cancel()
		groups.TxnMarker(ctx, partition, producerID, commit)
	}
}

// verifyTxnPartition is KIP-890's produce-side check: a transactional
// batch is appended only if its partition is in the producer's ongoing
// transaction, which stops a late batch of a finished (or aborted)
// transaction from hanging the partition's LSO. With add (part 2: a
// transaction version 2 producer sends no AddPartitionsToTxn) the
// partition joins the transaction instead, under the same epoch check.
// The coordinator is asked in process when it is this broker, with
// AddPartitionsToTxn v5 otherwise.
func (b *Broker) verifyTxnPartition(ctx context.Context, id string, pid int64, epoch int16, topic string, partition int32, add bool) error {
	node, err := b.txns.Locate(ctx, id)
	if err == nil {
		tp := txn.TopicPartition{Topic: topic, Partition: partition}
		if node == b.cfg.NodeID {
			err = b.txns.AddPartitions(ctx, id, pid, epoch, []txn.TopicPartition{tp}, !add)
		} else {
			err = b.markers.verifyRemote(ctx, node, id, pid, epoch, tp, add)
		}
	}
	switch {
	case errors.Is(err, kerr.CoordinatorNotAvailable), errors.Is(err, kerr.NotCoordinator),
		errors.Is(err, kerr.CoordinatorLoadInProgress), errors.Is(err, kerr.ConcurrentTransactions):
		// Kafka's mapping: the producer retries a produce that failed
		// with NOT_ENOUGH_REPLICAS, not one with a coordinator error.
		return kerr.NotEnoughReplicas
	case err != nil && !errors.As(err, new(*kerr.Error)):
		return kerr.NotEnoughReplicas // unreachable coordinator: retriable
	}
	return err
}

func (w *markerWriter) verifyRemote(ctx context.Context, node int32, id string, pid int64, epoch int16, tp txn.TopicPartition, add bool) error {
	c, err := w.client(w.image(), node)
	if err != nil {
		return err
	}
	req := kmsg.NewPtrAddPartitionsToTxnRequest()
	req.Version = 5
	t := kmsg.NewAddPartitionsToTxnRequestTransaction()
	t.TransactionalID, t.ProducerID, t.ProducerEpoch, t.VerifyOnly = id, pid, epoch, !add
	rt := kmsg.NewAddPartitionsToTxnRequestTransactionTopic()
	rt.Topic, rt.Partitions = tp.Topic, []int32{tp.Partition}
	t.Topics = []kmsg.AddPartitionsToTxnRequestTransactionTopic{rt}
	req.Transactions = append(req.Transactions, t)
	resp, err := c.Do(ctx, req)
	if err != nil {
		return err
	}
	r := resp.(*kmsg.AddPartitionsToTxnResponse)
	if r.ErrorCode != 0 {
		return kerr.ErrorForCode(r.ErrorCode)
	}
	for _, rt := range r.Transactions {
		for _, t := range rt.Topics {
			for _, p := range t.Partitions {
				if p.ErrorCode != 0 {
					return kerr.ErrorForCode(p.ErrorCode)
				}
			}
		}
	}
	return nil
}

// markerNotifyTimeout bounds how long a marker write waits for the group
// coordinator to apply it.
const markerNotifyTimeout = 10 * time.Second

// txnExpectedBrokers is expectedBrokers for __transaction_state.
func txnExpectedBrokers(cfg *config.Broker) int {
	if cfg.IsCombined() {
		return len(cfg.VoterIDs())
	}
	return int(cfg.Int("transaction.state.log.replication.factor"))
}

// markerWriter sends WriteTxnMarkers to the leaders of a transaction's
// partitions: in process when this broker leads them (through the client
// registry's handler), over the inter-broker listener otherwise.
type markerWriter struct {
	nodeID   int32
	listener string
	sec      wire.Security // the inter-broker listener's
	image    func() *metadata.Image
	local    *wire.Registry

	mu      sync.Mutex
	clients map[int32]*wire.Client
	closed  bool
}

func (w *markerWriter) WriteMarkers(ctx context.Context, job txn.MarkerJob, coordinatorEpoch int32) error {
	im := w.image()
	byLeader := map[int32][]txn.TopicPartition{}
	for _, tp := range job.Partitions {
		t := im.Topics[tp.Topic]
		if t == nil || int(tp.Partition) >= len(t.Partitions) {
			// Deleted since it joined the transaction: nobody reads
			// it any more (Kafka drops such markers too).
			continue
		}
		leader := t.Partitions[tp.Partition].Leader
		if leader < 0 {
			return fmt.Errorf("%s-%d has no leader", tp.Topic, tp.Partition)
		}
		byLeader[leader] = append(byLeader[leader], tp)
	}
	var errs []error
	for leader, tps := range byLeader {
		errs = append(errs, w.send(ctx, im, leader, markerRequest(job, coordinatorEpoch, tps)))
	}
	return errors.Join(errs...)
}

func markerRequest(job txn.MarkerJob, coordinatorEpoch int32, tps []txn.TopicPartition) *kmsg.WriteTxnMarkersRequest {
	req := kmsg.NewPtrWriteTxnMarkersRequest()
	req.Version = 1
	m := kmsg.NewWriteTxnMarkersRequestMarker()
	m.ProducerID, m.ProducerEpoch, m.Committed, m.CoordinatorEpoch = job.ProducerID, job.ProducerEpoch, job.Commit, coordinatorEpoch
	for _, tp := range tps { // sorted by topic: the job's order
		if n := len(m.Topics); n > 0 && m.Topics[n-1].Topic == tp.Topic {
			m.Topics[n-1].Partitions = append(m.Topics[n-1].Partitions, tp.Partition)
			continue
		}
		t := kmsg.NewWriteTxnMarkersRequestMarkerTopic()
		t.Topic, t.Partitions = tp.Topic, []int32{tp.Partition}
		m.Topics = append(m.Topics, t)
	}
	req.Markers = []kmsg.WriteTxnMarkersRequestMarker{m}
	return req
}

func (w *markerWriter) send(ctx context.Context, im *metadata.Image, leader int32, req *kmsg.WriteTxnMarkersRequest) error {
	var resp kmsg.Response
	var err error
	if leader == w.nodeID {
		a := w.local.Lookup(req.Key())
		if a == nil {
			return errors.New("WriteTxnMarkers is not served")
		}
		conn := api.InProcessConn(w.listener) // never crosses a listener: trusted
		resp, err = a.Handle(ctx, conn, wire.Header{Key: req.Key(), Version: req.Version}, req)
	} else {
		var c *wire.Client
		if c, err = w.client(im, leader); err == nil {
			resp, err = c.Do(ctx, req)
		}
	}
	if err != nil {
		return fmt.Errorf("WriteTxnMarkers to node %d: %w", leader, err)
	}
	for _, m := range resp.(*kmsg.WriteTxnMarkersResponse).Markers {
		for _, t := range m.Topics {
			for _, p := range t.Partitions {
				if p.ErrorCode != 0 {
					return fmt.Errorf("WriteTxnMarkers %s-%d on node %d: %w", t.Topic, p.Partition, leader, kerr.ErrorForCode(p.ErrorCode))
				}
			}
		}
	}
	return nil
}

func (w *markerWriter) client(im *metadata.Image, node int32) (*wire.Client, error) {
	b := im.Brokers[node]
	if b == nil {
		return nil, fmt.Errorf("node %d unknown", node)
	}
	var addr string
	for _, e := range b.Endpoints {
		if e.Listener == w.listener {
			addr = net.JoinHostPort(e.Host, fmt.Sprint(e.Port))
		}
	}
	if addr == "" {
		return nil, fmt.Errorf("node %d has no %s endpoint", node, w.listener)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, wire.ErrClientClosed
	}
	c := w.clients[node]
	if c == nil || c.Addr() != addr {
		if c != nil {
			c.Close()
		}
		c = wire.NewSecureClient(addr, fmt.Sprintf("strom-txn-coordinator-%d", w.nodeID), w.sec)
		w.clients[node] = c
	}
	return c, nil
}

func (w *markerWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	for _, c := range w.clients {
		c.Close()
	}
}
