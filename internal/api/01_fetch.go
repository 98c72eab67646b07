package api

// Fetch (key 1), v4–18.
//
//   - v4: isolation level, last stable offset, aborted transactions;
//     v5: log start offset; v7: fetch sessions (KIP-227, fetch_session.go);
//     v9: current leader epoch (KIP-320); v11: rack (KIP-392);
//     v12: flexible, last fetched epoch → diverging epoch; v13: topic ids;
//     v15: replica state replaces replica id.
//   - Batches are served as stored: the bytes read from the segment go into
//     the response unchanged, never decoded.
//   - Long poll: when less than MinBytes is ready the request waits, up to
//     MaxWaitMillis, for any of its partitions to change.
//   - Consumers (replica id -1) read up to the high watermark, or with
//     isolation_level=1 (read_committed) up to the last stable offset, and
//     then get the aborted transactions overlapping the batches returned
//     (KIP-98); markers and aborted data stay in the raw batches, which
//     clients filter. Every partition reports its LSO. A follower
//     (replica id >= 0, from ReplicaState in v15+) must be one of the
//     partition's other replicas (else NOT_LEADER_OR_FOLLOWER); it reads up
//     to the log end, and its fetch offset is recorded as its log end
//     offset, which moves the high watermark and the ISR (replica package).
//   - Replication throttling (KIP-73): a follower not in the ISR gets no
//     records for a partition throttled on this leader while the leader
//     replication quota is exceeded (replica.Partition.ThrottleFollowerFetch).
//   - v18: a follower sends the high watermark it knows; when the leader's
//     is ahead the fetch answers at once instead of long-polling (KIP-1166).
//   - A last fetched epoch (v12+) is checked against the leader-epoch cache
//     before reading: on divergence the partition answers DivergingEpoch
//     and no records (KIP-320/595); an epoch whose end is unknown, or a
//     fetch offset below the log start, is OFFSET_OUT_OF_RANGE (Kafka).

import (
	"context"
	"errors"
	"reflect"
	"time"
	"unsafe"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/quota"
	"github.com/strom-project/strom/internal/record"
	"github.com/strom-project/strom/internal/replica"
	"github.com/strom-project/strom/internal/storage"
	"github.com/strom-project/strom/internal/wire"
)

func (h *Handlers) fetchAPI() wire.API {
	return wire.API{Key: 1, Min: 4, Max: 18, Handle: typed(h.fetch)}
}

func (h *Handlers) fetch(ctx context.Context, c *wire.Conn, req *kmsg.FetchRequest) (kmsg.Response, error) {
	resp := req.ResponseKind().(*kmsg.FetchResponse)
	byID := req.Version >= 13
	var (
		parts       []*sessionPartition
		sess        *fetchSession
		incremental bool
	)
	switch {
	case req.Version < 7 || req.SessionEpoch == -1:
		if req.Version >= 7 && req.SessionID != 0 {
			h.sessions.remove(req.SessionID)
		}
		parts = requestPartitions(req, byID)
	case req.SessionEpoch == 0:
		if req.SessionID != 0 {
			h.sessions.remove(req.SessionID)
		}
		parts = requestPartitions(req, byID)
		if sess = h.sessions.create(); sess != nil {
			sess.mu.Lock()
			defer sess.mu.Unlock()
			for _, p := range parts {
				sess.upsert(*p)
			}
			parts = sess.order
		}
	default:
		if sess = h.sessions.get(req.SessionID); sess == nil {
			resp.ErrorCode = kerr.FetchSessionIDNotFound.Code
			return resp, nil
		}
		sess.mu.Lock()
		defer sess.mu.Unlock()
		if sess.epoch != req.SessionEpoch {
			resp.ErrorCode = kerr.InvalidFetchSessionEpoch.Code
			return resp, nil
		}
		for _, p := range requestPartitions(req, byID) {
			sess.upsert(*p)
		}
		for _, ft := range req.ForgottenTopics {
			for _, pn := range ft.Partitions {
				sess.forget(topicKey(ft.Topic, ft.TopicID, pn, byID))
			}
		}
		sess.epoch++
		parts = sess.order
		incremental = true
	}
	if sess != nil {
		resp.SessionID = sess.id
	}

	from := fetcherOf(req)
	from.allowed = h.fetchAuthz(c, from)
	h.capFetchToQuota(c, req, from)
	results, bufs := h.fetchWait(ctx, req, from, parts)
	served := map[tpKey]bool{}
	topicIdx := map[tpKey]int{}
	for i, sp := range parts {
		r := &results[i]
		if incremental && len(r.RecordBatches) == 0 && r.ErrorCode == 0 &&
			r.HighWatermark == sp.sentHW && r.LastStableOffset == sp.sentLSO && r.LogStartOffset == sp.sentLogStart {
			continue
		}
		if len(r.RecordBatches) > 0 {
			served[sp.key] = true
			h.countFetched(sp.key, len(r.RecordBatches), from)
			h.countReplicated(sp.key, len(r.RecordBatches), from)
		}
		sp.sentHW, sp.sentLSO, sp.sentLogStart = r.HighWatermark, r.LastStableOffset, r.LogStartOffset
		tk := tpKey{topic: sp.key.topic, id: sp.key.id}
		ti, ok := topicIdx[tk]
		if !ok {
			rt := kmsg.NewFetchResponseTopic()
			rt.Topic, rt.TopicID = sp.key.topic, sp.key.id
			resp.Topics = append(resp.Topics, rt)
			ti = len(resp.Topics) - 1
			topicIdx[tk] = ti
		}
		resp.Topics[ti].Partitions = append(resp.Topics[ti].Partitions, *r)
	}
	if sess != nil {
		sess.rotate(served)
	}
	if !from.isFollower() {
		resp.ThrottleMillis = h.recordQuota(c, quota.Fetch, fetchedBytes(resp))
	}
	return &pooledFetchResponse{FetchResponse: resp, bufs: bufs}, nil
}

// countFetched reports bytes served from a partition to Traffic.
func (h *Handlers) countFetched(key tpKey, bytes int, from fetchFrom) {
	if h.Traffic == nil {
		return
	}
	name := key.topic
	if name == "" { // by topic id (v13+)
		var ok bool
		if name, ok = h.Replicas.TopicName(key.id); !ok {
			return // deleted meanwhile
		}
	}
	h.Traffic.Fetched(name, int64(bytes), from.isFollower())
}

// countReplicated counts bytes served to a follower against this broker's
// leader replication quota when the partition is throttled (KIP-73).
func (h *Handlers) countReplicated(key tpKey, bytes int, from fetchFrom) {
	if !from.isFollower() {
		return
	}
	name := key.topic
	if name == "" { // by topic id (v13+)
		var ok bool
		if name, ok = h.Replicas.TopicName(key.id); !ok {
			return
		}
	}
	h.Replicas.RecordLeaderReplication(name, key.partition, bytes)
}

// pooledFetchResponse carries record sets read into pooled buffers; the
// connection releases them once the response is encoded.
type pooledFetchResponse struct {
	*kmsg.FetchResponse
	bufs []*[]byte
}

func (r *pooledFetchResponse) Release() {
	releaseBufs(r.bufs)
	r.bufs = nil
}

func releaseBufs(bufs []*[]byte) {
	for _, b := range bufs {
		wire.PutBuf(b)
	}
}

func topicKey(name string, id [16]byte, partition int32, byID bool) tpKey {
	if byID {
		return tpKey{id: id, partition: partition}
	}
	return tpKey{topic: name, partition: partition}
}

func requestPartitions(req *kmsg.FetchRequest, byID bool) []*sessionPartition {
	var out []*sessionPartition
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			out = append(out, &sessionPartition{
				key:         topicKey(t.Topic, t.TopicID, p.Partition, byID),
				fetchOffset: p.FetchOffset, maxBytes: p.PartitionMaxBytes, logStartOffset: p.LogStartOffset, replicaHW: p.HighWatermark,
				currentLeaderEpoch: p.CurrentLeaderEpoch, lastFetchedEpoch: p.LastFetchedEpoch,
				sentHW: -1, sentLSO: -1, sentLogStart: -1,
			})
		}
	}
	return out
}

// fetchFrom says who is fetching: a consumer (replicaID < 0) or a follower
// with its broker epoch (-1 when the request has none, before v15).
type fetchFrom struct {
	replicaID   int32
	brokerEpoch int64
	// allowed says whether the fetcher may read a topic (fetchAuthz).
	allowed func(topic string) bool
}

// fetchAuthz is Kafka's Fetch authorization: a follower needs
// CLUSTER_ACTION on the cluster for every partition, a consumer READ on
// each topic. A denied partition is TOPIC_AUTHORIZATION_FAILED and is
// neither read nor recorded as a follower's position (CVE-2018-1288).
func (h *Handlers) fetchAuthz(c *wire.Conn, from fetchFrom) func(string) bool {
	if from.isFollower() {
		ok := h.allowedCluster(c, opClusterAction)
		return func(string) bool { return ok }
	}
	return h.allowedNames(c, opRead, rtTopic)
}

func fetcherOf(req *kmsg.FetchRequest) fetchFrom {
	if req.Version >= 15 {
		return fetchFrom{replicaID: req.ReplicaState.ID, brokerEpoch: req.ReplicaState.Epoch}
	}
	return fetchFrom{replicaID: req.ReplicaID, brokerEpoch: -1}
}

func (f fetchFrom) isFollower() bool { return f.replicaID >= 0 }

// fetchWait reads every partition and, while fewer than MinBytes are ready
// and nothing failed, waits for a change and reads again until MaxWait.
//
// It returns the results and the pooled buffers their record sets live in.
func (h *Handlers) fetchWait(ctx context.Context, req *kmsg.FetchRequest, from fetchFrom, parts []*sessionPartition) ([]kmsg.FetchResponseTopicPartition, []*[]byte) {
	deadline := h.Now().Add(time.Duration(req.MaxWaitMillis) * time.Millisecond)
	for first := true; ; first = false {
		results, bufs, waits, bytes, urgent := h.readAll(req, from, first, parts)
		if urgent || int64(bytes) >= int64(req.MinBytes) || len(waits) == 0 {
			return results, bufs
		}
		left := deadline.Sub(h.Now())
		if left <= 0 || !h.waitAnyCounted(ctx, left, waits) {
			return results, bufs
		}
		releaseBufs(bufs) // not enough yet: read again after the change
	}
}

// readAll reads each partition once. The wait channels are taken before
// reading so an append racing with the read still wakes the long poll.
// A follower's position is recorded on the first read only: the fetch
// offset does not change while the request waits (Kafka does the same).
// urgent means answer now whatever MinBytes says: a partition failed or
// diverged, or a follower's high watermark is stale.
func (h *Handlers) readAll(req *kmsg.FetchRequest, from fetchFrom, first bool, parts []*sessionPartition) (results []kmsg.FetchResponseTopicPartition, bufs []*[]byte, waits []<-chan struct{}, total int32, urgent bool) {
	failed := false
	budget := req.MaxBytes
	if req.MaxBytes <= 0 {
		budget = 1<<31 - 1
	}
	results = make([]kmsg.FetchResponseTopicPartition, len(parts))
	for i, sp := range parts {
		r := &results[i]
		*r = kmsg.NewFetchResponseTopicPartition()
		r.Partition = sp.key.partition
		// Non-null even when empty: librdkafka rejects a null record set
		// ("invalid MessageSetSize -1").
		r.RecordBatches = []byte{}
		r.HighWatermark, r.LastStableOffset, r.LogStartOffset = -1, -1, -1
		p, err := h.fetchPartition(sp, from)
		if err != nil {
			r.ErrorCode = codeFor(err)
			failed = true
			continue
		}
		waits = append(waits, p.Log.Wait())
		// Offsets as of before the read; a follower is credited with the
		// leader's end as it was then (Kafka's lastFetchLeaderLogEndOffset).
		hw, logStart, leo := p.Log.HighWatermark(), p.Log.LogStartOffset(), p.Log.LogEndOffset()
		lso := min(p.Log.LastStableOffset(), hw)
		r.HighWatermark, r.LastStableOffset, r.LogStartOffset = hw, lso, logStart
		if sp.lastFetchedEpoch >= 0 {
			e, diverged, err := p.DivergingEpoch(sp.lastFetchedEpoch, sp.fetchOffset)
			if err != nil || diverged {
				if err != nil {
					r.ErrorCode = codeFor(err)
				} else {
					r.DivergingEpoch.Epoch, r.DivergingEpoch.EndOffset = e.LeaderEpoch, e.EndOffset
				}
				failed = true // answer now: the fetcher must truncate or reset first
				continue
			}
		}
		upTo := hw
		if readCommitted(req, from) {
			upTo = lso // KIP-98: nothing of an open transaction
		}
		if from.isFollower() {
			upTo = leo
			if p.ThrottleFollowerFetch(from.replicaID) {
				// Replication quota exceeded for an out-of-sync follower
				// (KIP-73): no records, no error; the range is still
				// checked. Its high watermark cannot pass its own log end,
				// so only a move below that is worth answering early for.
				upTo = sp.fetchOffset
				urgent = urgent || sp.replicaHW < min(hw, sp.fetchOffset)
			} else {
				urgent = urgent || sp.replicaHW < hw
			}
		}
		max := min(sp.maxBytes, budget)
		buf := wire.GetBuf()
		if want := int(min(max, 8<<20)); cap(*buf) < want {
			*buf = make([]byte, 0, want) // grown once, then reused through the pool
		}
		rr, err := p.Log.ReadInto(*buf, sp.fetchOffset, max, total == 0, upTo)
		if err == nil && from.isFollower() && first {
			err = p.FollowerFetched(from.replicaID, sp.fetchOffset, sp.logStartOffset, from.brokerEpoch, leo)
		}
		if err != nil {
			wire.PutBuf(buf)
			r.ErrorCode = codeFor(err)
			if !errors.Is(err, storage.ErrOffsetOutOfRange) && !errors.Is(err, replica.ErrNotLeader) {
				h.Logger.Warn("fetch read failed", "partition", p.String(), "err", err)
			}
			failed = true
			continue
		}
		if len(rr.Records) > 0 && unsafe.SliceData(rr.Records) == unsafe.SliceData(*buf) {
			bufs = append(bufs, buf)
		} else {
			wire.PutBuf(buf) // nothing read, or the read needed a larger buffer
		}
		if len(rr.Records) > 0 {
			r.RecordBatches = rr.Records
		}
		if readCommitted(req, from) {
			r.AbortedTransactions = abortedIn(p.Log, sp.fetchOffset, rr.Records)
		}
		n := int32(len(rr.Records))
		total += n
		budget -= min(n, budget)
	}
	return results, bufs, waits, total, urgent || failed
}

// fetchPartition finds the partition and checks the fetcher may read it:
// the current leader epoch (KIP-320), leadership, and for a follower that
// it is one of the partition's replicas.
func (h *Handlers) fetchPartition(sp *sessionPartition, from fetchFrom) (*replica.Partition, error) {
	name := sp.key.topic
	if name == "" {
		n, ok := h.Replicas.TopicName(sp.key.id)
		if !ok {
			return nil, kerr.UnknownTopicID
		}
		name = n
	}
	if from.allowed != nil && !from.allowed(name) {
		return nil, kerr.TopicAuthorizationFailed
	}
	p, err := h.Replicas.Partition(name, sp.key.partition)
	if err != nil {
		return nil, err
	}
	if err := p.CheckEpoch(sp.currentLeaderEpoch); err != nil {
		return nil, err
	}
	if !p.IsLeader() {
		return nil, replica.ErrNotLeader
	}
	if from.isFollower() {
		if err := p.CheckFollower(from.replicaID); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// waitAny blocks until one channel fires (true), or the timeout or ctx ends
// (false).
func waitAny(ctx context.Context, d time.Duration, chs []<-chan struct{}) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	if len(chs) == 1 {
		select {
		case <-chs[0]:
			return true
		case <-timer.C:
		case <-ctx.Done():
		}
		return false
	}
	cases := make([]reflect.SelectCase, 0, len(chs)+2)
	cases = append(cases,
		reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(timer.C)},
		reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())})
	for _, ch := range chs {
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ch)})
	}
	i, _, _ := reflect.Select(cases)
	return i >= 2
}

// Client quotas (internal/quota): a consumer's fetch reads at most its
// consumer_byte_rate over the quota window, the bytes it gets count
// against the quota, and its long-poll wait is not request handling time.
// Kafka answers an over-quota fetch with no records; Strom sends them and
// the throttle time (the mute) pays for them, which bounds the rate alike.

// capFetchToQuota lowers a consumer's MaxBytes to what its fetch quota
// allows in one window (Kafka's getMaxValueInQuotaWindow).
func (h *Handlers) capFetchToQuota(c *wire.Conn, req *kmsg.FetchRequest, from fetchFrom) {
	if from.isFollower() {
		return
	}
	if n, ok := h.Quotas.MaxFetchBytes(h.clientQuotas(), quota.User(c.Principal), quota.ClientID(c)); ok && (req.MaxBytes <= 0 || n < req.MaxBytes) {
		req.MaxBytes = n
	}
}

// fetchedBytes is the record bytes of a fetch response.
func fetchedBytes(resp *kmsg.FetchResponse) int {
	n := 0
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			n += len(p.RecordBatches)
		}
	}
	return n
}

// waitAnyCounted is waitAny, telling the request quota the time waited.
func (h *Handlers) waitAnyCounted(ctx context.Context, d time.Duration, chs []<-chan struct{}) bool {
	start := h.Now()
	ok := waitAny(ctx, d, chs)
	quota.Waited(ctx, h.Now().Sub(start))
	return ok
}

// readCommitted: a consumer fetching with isolation_level=1 (KIP-98, v4+).
func readCommitted(req *kmsg.FetchRequest, from fetchFrom) bool {
	return !from.isFollower() && req.Version >= 4 && req.IsolationLevel == 1
}

// abortedIn lists the aborted transactions a read_committed consumer needs
// to drop the aborted data among records, fetched from offset (Kafka's
// collectAbortedTransactions up to the end of the last batch). Non-nil:
// Kafka sends an empty list, not null, to read_committed fetchers.
func abortedIn(lg *storage.Log, offset int64, records []byte) []kmsg.FetchResponseTopicPartitionAbortedTransaction {
	out := []kmsg.FetchResponseTopicPartitionAbortedTransaction{}
	if len(records) == 0 {
		return out
	}
	end := offset
	it := record.Iter{Buf: records}
	for it.Next() {
		end = it.Header.NextOffset()
	}
	aborted, err := lg.AbortedTransactions(offset, end)
	if err != nil {
		return out
	}
	for _, a := range aborted {
		t := kmsg.NewFetchResponseTopicPartitionAbortedTransaction()
		t.ProducerID, t.FirstOffset = a.ProducerID, a.FirstOffset
		out = append(out, t)
	}
	return out
}
