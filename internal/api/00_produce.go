package api

// Produce (key 0), v0–13 advertised, v3–13 served.
//
//   - v0–2 (message formats v0/v1) are advertised because librdkafka ≤ 2.11
//     turns compression off when Produce's minimum is above 0
//     (KAFKA-18659), and rejected per partition with UNSUPPORTED_VERSION.
//   - v3: RecordBatch v2 and transactional ids; v5: log start offset;
//     v8: record errors and an error message; v9: flexible; v10: current
//     leader on NOT_LEADER errors (tag); v13: topics by id.
//   - acks=0 gets no response; if any partition failed the connection is
//     closed instead, which is how Kafka tells a fire-and-forget producer.

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/storage"
	"github.com/strom-project/strom/internal/wire"
)

var errAcksZeroFailed = errors.New("api: acks=0 produce failed; closing connection")

func (h *Handlers) produceAPI() wire.API {
	return wire.API{Key: 0, Min: 0, Max: 13, Handle: typed(h.produce)}
}

func (h *Handlers) produce(ctx context.Context, _ *wire.Conn, req *kmsg.ProduceRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	var topLevel int16
	switch {
	case req.Version < 3:
		topLevel = kerr.UnsupportedVersion.Code
	case req.Acks != 0 && req.Acks != 1 && req.Acks != -1:
		topLevel = kerr.InvalidRequiredAcks.Code
	case req.TransactionID != nil:
		// Transactions arrive with the transaction coordinator; until then
		// a transactional producer cannot get this far (FindCoordinator and
		// AddPartitionsToTxn are not advertised).
		topLevel = kerr.TransactionalIDAuthorizationFailed.Code
	}
	failed := false
	for _, rt := range req.Topics {
		st := kmsg.NewProduceResponseTopic()
		st.Topic, st.TopicID = rt.Topic, rt.TopicID
		name, nameErr := h.topicName(rt.Topic, rt.TopicID, req.Version >= 13)
		for _, rp := range rt.Partitions {
			sp := kmsg.NewProduceResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.BaseOffset, sp.LogAppendTime, sp.LogStartOffset = -1, -1, -1
			switch {
			case topLevel != 0:
				sp.ErrorCode = topLevel
			case nameErr != 0:
				sp.ErrorCode = nameErr
			default:
				h.producePartition(name, rp, req.Acks, &sp)
			}
			failed = failed || sp.ErrorCode != 0
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	if req.Acks == 0 {
		if failed {
			return nil, errAcksZeroFailed
		}
		return nil, nil
	}
	return resp, nil
}

func (h *Handlers) producePartition(topic string, rp kmsg.ProduceRequestTopicPartition, acks int16, sp *kmsg.ProduceResponseTopicPartition) {
	p, err := h.Replicas.Partition(topic, rp.Partition)
	if err != nil {
		sp.ErrorCode = codeFor(err)
		return
	}
	if p.Internal {
		// Only the broker's coordinators write internal topics (Kafka:
		// "Cannot append to internal topic").
		sp.ErrorCode = kerr.InvalidTopicException.Code
		sp.ErrorMessage = errMsg(errString("cannot produce to internal topic " + topic))
		return
	}
	res, err := p.Append(rp.Records, acks)
	if err != nil {
		sp.ErrorCode = codeFor(err)
		sp.ErrorMessage = errMsg(err)
		if sp.ErrorCode == kerr.UnknownServerError.Code {
			h.Logger.Error("produce failed", "partition", p.String(), "err", err)
		}
		if errors.Is(err, storage.ErrStorage) {
			h.Logger.Error("storage error on produce", "partition", p.String(), "err", err)
		}
		return
	}
	sp.BaseOffset, sp.LogAppendTime, sp.LogStartOffset = res.BaseOffset, res.LogAppendTime, res.LogStartOffset
}

// topicName resolves a request's topic (by id from v13 on for Produce,
// v13 for Fetch). It returns a Kafka error code when the topic is unknown.
func (h *Handlers) topicName(name string, id [16]byte, byID bool) (string, int16) {
	if !byID {
		return name, 0
	}
	n, ok := h.Replicas.TopicName(id)
	if !ok {
		if t := h.Ctrl.Image().TopicsByID[id]; t != nil {
			return t.Name, 0
		}
		return "", kerr.UnknownTopicID.Code
	}
	return n, 0
}
