package api

// Produce (key 0), v0–13 advertised, v3–13 served.
//
//   - v0–2 (message formats v0/v1) are advertised because librdkafka ≤ 2.11
//     turns compression off when Produce's minimum is above 0
//     (KAFKA-18659), and rejected per partition with UNSUPPORTED_VERSION.
//   - v3: RecordBatch v2 and transactional ids; v5: log start offset;
//     v8: record errors and an error message; v9: flexible; v10: current
//     leader on NOT_LEADER errors (tag); v13: topics by id.
//   - Transactional batches (KIP-98) are appended like idempotent ones;
//     the log tracks the open transaction. When the transaction coordinator
//     sets Handlers.VerifyTxnPartition, it checks them first (KIP-890);
//     from v12 (transaction version 2 clients, which send no
//     AddPartitionsToTxn) the check adds the partition to the transaction.
//   - acks=0 gets no response; if any partition failed the connection is
//     closed instead, which is how Kafka tells a fire-and-forget producer.
//   - acks=1 answers after the leader's append. acks=-1 (all) is refused
//     with NOT_ENOUGH_REPLICAS, before anything is written, when the ISR is
//     below min.insync.replicas; otherwise it answers once the high
//     watermark passes the batch (every in-sync replica has it). All
//     partitions of a request wait together, up to the request's timeout
//     (REQUEST_TIMED_OUT); NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR
//     shrank below the minimum meanwhile, NOT_LEADER_OR_FOLLOWER when
//     leadership moved.

import (
	"context"
	"errors"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/quota"
	"github.com/strom-project/strom/internal/record"
	"github.com/strom-project/strom/internal/replica"
	"github.com/strom-project/strom/internal/storage"
	"github.com/strom-project/strom/internal/wire"
)

var errAcksZeroFailed = errors.New("api: acks=0 produce failed; closing connection")

func (h *Handlers) produceAPI() wire.API {
	return wire.API{Key: 0, Min: 0, Max: 13, Handle: typed(h.produce)}
}

func (h *Handlers) produce(ctx context.Context, c *wire.Conn, req *kmsg.ProduceRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	var topLevel int16
	switch {
	case req.Version < 3:
		topLevel = kerr.UnsupportedVersion.Code
	case req.Acks != 0 && req.Acks != 1 && req.Acks != -1:
		topLevel = kerr.InvalidRequiredAcks.Code
	case !h.trusted(c) && hasTxnRecords(req) && (req.TransactionID == nil || !h.allowed(c, opWrite, rtTxnID, *req.TransactionID)):
		// Kafka fails the whole request, every partition. (Idempotent
		// producers are checked at InitProducerId, not here: KIP-679.)
		// Kafka also refuses transactional batches with no
		// transactional id when authorization is off; Strom accepts
		// them then, as before ACLs.
		topLevel = errTxnIDAuthz
	}
	writeOK := h.allowedNames(c, opWrite, rtTopic)
	var waits []produceWait
	for ti, rt := range req.Topics {
		st := kmsg.NewProduceResponseTopic()
		st.Topic, st.TopicID = rt.Topic, rt.TopicID
		name, nameErr := h.topicName(rt.Topic, rt.TopicID, req.Version >= 13)
		for pi, rp := range rt.Partitions {
			sp := kmsg.NewProduceResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.BaseOffset, sp.LogAppendTime, sp.LogStartOffset = -1, -1, -1
			switch {
			case topLevel != 0:
				sp.ErrorCode = topLevel
			case nameErr != 0:
				sp.ErrorCode = nameErr
			case !writeOK(name):
				// Nothing is appended (CVE-2018-17196), and a denied
				// topic's existence is not disclosed.
				sp.ErrorCode = errTopicAuthz
			case !h.verifyTxn(ctx, req.TransactionID, name, &rp, &sp, req.Version >= 12):
				// KIP-890 verification failed; sp holds its error.
			default:
				if w, ok := h.producePartition(name, rp, req.Acks, &sp); ok {
					w.topic, w.partition = ti, pi
					waits = append(waits, w)
				}
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	resp.ThrottleMillis = h.recordQuota(c, quota.Produce, producedBytes(req))
	if waits = h.settleCommitted(resp, waits); len(waits) > 0 {
		// acks=all records waiting for followers: answer later, and let
		// the connection serve the requests behind this one meanwhile.
		// (Only acks=-1 waits, so the acks=0 rules below do not apply.)
		p := wire.NewPending()
		timeout := time.Duration(req.TimeoutMillis) * time.Millisecond
		go func() {
			h.waitCommitted(ctx, timeout, resp, waits)
			p.Complete(resp, nil)
		}()
		return p, nil
	}
	failed := false
	for _, st := range resp.Topics {
		for _, sp := range st.Partitions {
			failed = failed || sp.ErrorCode != 0
		}
	}
	if req.Acks == 0 {
		if failed {
			return nil, errAcksZeroFailed
		}
		return nil, nil
	}
	return resp, nil
}

// produceWait is an acks=-1 partition waiting for its records to commit.
type produceWait struct {
	p                *replica.Partition
	leaderEpoch      int32
	required         int64 // the high watermark that commits the batch: its last offset + 1
	topic, partition int   // indexes into the response
}

// producePartition appends one partition's records; for acks=-1 it returns
// what to wait for (ok) when the append succeeded.
func (h *Handlers) producePartition(topic string, rp kmsg.ProduceRequestTopicPartition, acks int16, sp *kmsg.ProduceResponseTopicPartition) (produceWait, bool) {
	p, err := h.Replicas.Partition(topic, rp.Partition)
	if err != nil {
		sp.ErrorCode = codeFor(err)
		return produceWait{}, false
	}
	if p.Internal {
		// Only the broker's coordinators write internal topics (Kafka:
		// "Cannot append to internal topic").
		sp.ErrorCode = kerr.InvalidTopicException.Code
		sp.ErrorMessage = errMsg(errString("cannot produce to internal topic " + topic))
		return produceWait{}, false
	}
	res, err := p.Append(rp.Records, acks)
	if err != nil {
		sp.ErrorCode = produceCode(err)
		sp.ErrorMessage = errMsg(err)
		if sp.ErrorCode == kerr.UnknownServerError.Code {
			h.Logger.Error("produce failed", "partition", p.String(), "err", err)
		}
		if errors.Is(err, storage.ErrStorage) {
			h.Logger.Error("storage error on produce", "partition", p.String(), "err", err)
		}
		return produceWait{}, false
	}
	sp.BaseOffset, sp.LogAppendTime, sp.LogStartOffset = res.BaseOffset, res.LogAppendTime, res.LogStartOffset
	if h.Traffic != nil && !res.Duplicate {
		h.Traffic.Produced(topic, int64(len(rp.Records)), res.LastOffset-res.BaseOffset+1)
	}
	if acks != -1 {
		return produceWait{}, false
	}
	return produceWait{p: p, leaderEpoch: res.LeaderEpoch, required: res.LastOffset + 1}, true
}

// waitCommitted waits, up to timeout, until every acks=-1 partition is
// committed or failed (Kafka's DelayedProduce), setting their errors in
// resp. It sleeps on the partitions' change channels: appends, high
// watermark moves and ISR or leadership changes wake it.
// settleCommitted records the outcome of every wait that is already
// decided (every single-replica write is) and returns the rest.
func (h *Handlers) settleCommitted(resp *kmsg.ProduceResponse, waits []produceWait) []produceWait {
	pending := waits[:0]
	for _, w := range waits {
		done, err := w.p.Committed(w.leaderEpoch, w.required)
		if !done {
			pending = append(pending, w)
			continue
		}
		if err != nil {
			sp := &resp.Topics[w.topic].Partitions[w.partition]
			sp.ErrorCode, sp.ErrorMessage = produceCode(err), errMsg(err)
		}
	}
	return pending
}

func (h *Handlers) waitCommitted(ctx context.Context, timeout time.Duration, resp *kmsg.ProduceResponse, waits []produceWait) {
	deadline := time.Now().Add(timeout)
	chans := make([]<-chan struct{}, 0, len(waits))
	for {
		chans = chans[:0]
		pending := waits[:0]
		for _, w := range waits {
			done, err := w.p.Committed(w.leaderEpoch, w.required)
			if !done {
				// Take the channel, then look again: a change in between
				// still wakes us. (Not first: a committed write — every
				// single-replica one — never needs the channel.)
				ch := w.p.Log.Wait()
				if done, err = w.p.Committed(w.leaderEpoch, w.required); !done {
					chans = append(chans, ch)
					pending = append(pending, w)
					continue
				}
			}
			if err != nil {
				sp := &resp.Topics[w.topic].Partitions[w.partition]
				sp.ErrorCode, sp.ErrorMessage = produceCode(err), errMsg(err)
			}
		}
		waits = pending
		if len(waits) == 0 {
			return
		}
		left := time.Until(deadline)
		if left <= 0 || !waitAny(ctx, left, chans) {
			for _, w := range waits {
				resp.Topics[w.topic].Partitions[w.partition].ErrorCode = kerr.RequestTimedOut.Code
			}
			return
		}
	}
}

// produceCode adds the min.insync.replicas errors, which only Produce
// reports, to codeFor.
func produceCode(err error) int16 {
	switch {
	case errors.Is(err, replica.ErrNotEnoughReplicasAfterAppend):
		return kerr.NotEnoughReplicasAfterAppend.Code
	case errors.Is(err, replica.ErrNotEnoughReplicas):
		return kerr.NotEnoughReplicas.Code
	}
	return codeFor(err)
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

// recordQuota counts bytes against the client's byte-rate quota of kind
// and returns the throttle time for the response (0 without a quota).
// Produce counts every record byte of the request, appended or not, as
// Kafka counts the request size. An acks=0 producer gets no response, so
// it is not muted (Kafka mutes it regardless).
func (h *Handlers) recordQuota(c *wire.Conn, kind quota.Kind, bytes int) int32 {
	d := h.Quotas.Record(h.clientQuotas(), kind, quota.User(c.Principal), quota.ClientID(c), float64(bytes))
	return int32(min(d.Milliseconds(), 1<<31-1))
}

func producedBytes(req *kmsg.ProduceRequest) int {
	n := 0
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			n += len(p.Records)
		}
	}
	return n
}

// verifyTxn runs the transaction coordinator's check (KIP-890,
// VerifyTxnPartition) on a partition's transactional records, adding the
// partition to the transaction when add is set (part 2); false with sp's
// error set when it fails. Without the hook, or for non-transactional
// records, everything passes: the log still tracks the transaction.
func (h *Handlers) verifyTxn(ctx context.Context, txnID *string, topic string, rp *kmsg.ProduceRequestTopicPartition, sp *kmsg.ProduceResponseTopicPartition, add bool) bool {
	if h.VerifyTxnPartition == nil || txnID == nil {
		return true
	}
	if !add && h.dynamicConfig(h.Ctrl.Image()).Get("transaction.partition.verification.enable") == "false" {
		// Kafka's switch covers only producers that add partitions
		// themselves; implicit adds (version 2) need the coordinator.
		return true
	}
	hd, err := record.ParseHeader(rp.Records)
	if err != nil || !hd.IsTransactional() {
		return true // malformed records fail in the append, with its error
	}
	if p, err := h.Replicas.Partition(topic, rp.Partition); err == nil && p.Log.InTransaction(hd.ProducerID, hd.ProducerEpoch) {
		// Verified with the first batch of this transaction; the marker
		// that ends it closes it here first, so a late batch of an ended
		// transaction is still checked.
		return true
	}
	if err := h.VerifyTxnPartition(ctx, *txnID, hd.ProducerID, hd.ProducerEpoch, topic, rp.Partition, add); err != nil {
		if errors.Is(err, kerr.ProducerFenced) {
			// Not a Produce error: Kafka answers a fenced batch with
			// INVALID_PRODUCER_EPOCH.
			err = kerr.InvalidProducerEpoch
		}
		sp.ErrorCode, sp.ErrorMessage = codeFor(err), errMsg(err)
		return false
	}
	return true
}

// hasTxnRecords reports whether any partition of req carries transactional
// batches (Kafka's RequestUtils.hasTransactionalRecords; a partition's
// batches come from one producer, so its first batch tells).
func hasTxnRecords(req *kmsg.ProduceRequest) bool {
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			if hd, err := record.ParseHeader(p.Records); err == nil && hd.IsTransactional() {
				return true
			}
		}
	}
	return false
}
