package replica

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/wire"
)

// fetchVersion is the Fetch version followers send: v18 carries the
// follower's high watermark (KIP-1166: the leader answers at once when it is
// stale, so followers learn HW moves without waiting out a long poll), v15
// the replica id and broker epoch in ReplicaState (KIP-903), v13 topic ids,
// v12 the last fetched epoch / diverging epoch pair (KIP-320/595).
const fetchVersion = 18

// listOffsetsVersion is used after OFFSET_OUT_OF_RANGE to learn the
// leader's log start and end (v4+ carries the current leader epoch).
const listOffsetsVersion = 7

// requestTimeout bounds one request to the leader beyond its long poll
// (Kafka's replica.socket.timeout.ms default).
const requestTimeout = 30 * time.Second

var errNoAnswer = errors.New("replica: AlterPartition returned no state")

type fetcherKey struct {
	leader int32
	addr   string
}

// fetchState is one partition's place in a fetcher.
type fetchState struct {
	leaderEpoch int32     // the epoch it follows; sent as CurrentLeaderEpoch
	delayUntil  time.Time // backing off after an error until then
	caughtUp    bool      // level with the leader's high watermark at the last fetch (throttle.go)
}

// fetcher pulls every partition this broker follows from one leader
// broker (Kafka's ReplicaFetcherThread, num.replica.fetchers=1): one
// sessionless Fetch at a time with this node's replica id, appending what
// comes back as the leader wrote it. The fetch offset is always the
// follower's log end offset and the last fetched epoch its latest epoch,
// so truncation needs no extra state. parts is guarded by mu; the
// goroutine is the only writer to these partitions' logs.
type fetcher struct {
	m      *Manager
	key    fetcherKey
	client *wire.Client
	ctx    context.Context
	cancel context.CancelFunc
	wake   chan struct{}

	mu    sync.Mutex
	parts map[*Partition]*fetchState

	failing bool // the goroutine's: the last request failed (log once)
}

func newFetcher(m *Manager, key fetcherKey) *fetcher {
	f := &fetcher{m: m, key: key, parts: map[*Partition]*fetchState{}, wake: make(chan struct{}, 1),
		client: wire.NewSecureClient(key.addr, fmt.Sprintf("broker-%d-fetcher-0", m.nodeID), m.opts.Security)}
	f.ctx, f.cancel = context.WithCancel(m.ctx)
	if !m.spawn(f.run) {
		f.client.Close()
	}
	return f
}

// followLocked puts p (a follower of st.Leader) in the fetcher for its
// leader, moving it if the leader or its address changed; restart resets
// its fetch state for a new leader epoch. Without a reachable leader the
// partition waits for the next image. Needs p.mu held for writing.
func (m *Manager) followLocked(p *Partition, st *metadata.Partition, im *metadata.Image, restart bool) {
	if p.removed {
		return
	}
	var addr string
	if st.Leader >= 0 && st.Leader != m.nodeID {
		addr = m.brokerAddr(im, st.Leader)
		if addr == "" && restart {
			m.logger.Warn("leader has no inter-broker endpoint; not fetching", "partition", p.String(), "leader", st.Leader,
				"listener", m.set.interBrokerListener)
		}
	}
	key := fetcherKey{st.Leader, addr}
	if p.fetcher != nil && p.fetcher.key != key {
		m.unfollowLocked(p)
	}
	if addr == "" {
		return
	}
	if p.fetcher != nil {
		if restart {
			p.fetcher.add(p, st.LeaderEpoch)
		}
		return
	}
	m.fetchMu.Lock()
	defer m.fetchMu.Unlock()
	if m.ctx.Err() != nil {
		return
	}
	f := m.fetchers[key]
	if f == nil {
		f = newFetcher(m, key)
		m.fetchers[key] = f
	}
	f.add(p, st.LeaderEpoch)
	p.fetcher = f
}

// unfollowLocked takes p out of its fetcher, stopping the fetcher when it
// has nothing left. Needs p.mu held for writing.
func (m *Manager) unfollowLocked(p *Partition) {
	f := p.fetcher
	if f == nil {
		return
	}
	p.fetcher = nil
	m.fetchMu.Lock()
	defer m.fetchMu.Unlock()
	if f.remove(p) == 0 && m.fetchers[f.key] == f {
		f.stop()
		delete(m.fetchers, f.key)
	}
}

func (f *fetcher) add(p *Partition, leaderEpoch int32) {
	f.mu.Lock()
	f.parts[p] = &fetchState{leaderEpoch: leaderEpoch}
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

func (f *fetcher) remove(p *Partition) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.parts, p)
	return len(f.parts)
}

func (f *fetcher) stop() { f.cancel() }

// delay backs p off until now+d, if it is still in this fetcher at the
// same epoch.
func (f *fetcher) delay(p *Partition, epoch int32, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if fs := f.parts[p]; fs != nil && fs.leaderEpoch == epoch {
		fs.delayUntil = time.Now().Add(d)
	}
}

// fetchItem is one partition of a request in flight.
type fetchItem struct {
	p           *Partition
	leaderEpoch int32
	fetchOffset int64
}

func (f *fetcher) run() {
	defer f.client.Close()
	for f.ctx.Err() == nil {
		req, items, wait := f.buildRequest()
		if req == nil {
			f.sleep(wait)
			continue
		}
		ctx, cancel := context.WithTimeout(f.ctx, time.Duration(req.MaxWaitMillis)*time.Millisecond+requestTimeout)
		kresp, err := f.client.Do(ctx, req)
		cancel()
		if err == nil {
			if resp := kresp.(*kmsg.FetchResponse); resp.ErrorCode != 0 {
				err = kerr.ErrorForCode(resp.ErrorCode)
			} else {
				f.recovered()
				f.process(resp, items)
				continue
			}
		}
		if f.ctx.Err() != nil {
			return
		}
		f.failed(err)
		for _, it := range items {
			f.delay(it.p, it.leaderEpoch, f.m.set.fetchBackoff)
		}
	}
}

func (f *fetcher) failed(err error) {
	if !f.failing {
		f.m.logger.Warn("fetch from leader failed; backing off", "leader", f.key.leader, "addr", f.key.addr,
			"backoff", f.m.set.fetchBackoff, "err", err)
	}
	f.failing = true
}

func (f *fetcher) recovered() {
	if f.failing {
		f.m.logger.Info("fetching from leader again", "leader", f.key.leader, "addr", f.key.addr)
	}
	f.failing = false
}

// sleep waits for a partition to be added, d to pass (if > 0), or stop.
func (f *fetcher) sleep(d time.Duration) {
	var timer <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-f.ctx.Done():
	case <-f.wake:
	case <-timer:
	}
}

// buildRequest makes a Fetch for every partition not backing off and not
// held back by the follower replication quota; with none it returns the
// time until the first one is due (0: none at all).
func (f *fetcher) buildRequest() (*kmsg.FetchRequest, []fetchItem, time.Duration) {
	now := time.Now()
	exceeded := sync.OnceValue(f.m.throttle.follower.Exceeded)
	f.mu.Lock()
	var items []fetchItem
	var wait time.Duration
	due := func(d time.Duration) {
		if wait == 0 || d < wait {
			wait = d
		}
	}
	for p, fs := range f.parts {
		if d := fs.delayUntil.Sub(now); d > 0 {
			due(d)
			continue
		}
		if f.throttleFetch(p, fs, exceeded) {
			// Left out of this request (Kafka's shouldFollowerThrottle);
			// with nothing else to fetch, look again after the fetch
			// backoff, as Kafka's fetcher does with an empty request.
			due(max(f.m.set.fetchBackoff, minThrottleWait))
			continue
		}
		items = append(items, fetchItem{p: p, leaderEpoch: fs.leaderEpoch})
	}
	f.mu.Unlock()
	if len(items) == 0 {
		return nil, nil, wait
	}
	s := &f.m.set
	req := kmsg.NewPtrFetchRequest()
	req.Version = fetchVersion
	req.ReplicaID = f.m.nodeID
	req.ReplicaState.ID = f.m.nodeID
	if b := f.m.image.Load().Brokers[f.m.nodeID]; b != nil {
		req.ReplicaState.Epoch = b.Epoch
	}
	req.MaxWaitMillis, req.MinBytes, req.MaxBytes = s.fetchWaitMaxMs, s.fetchMinBytes, s.fetchRespMaxBytes
	req.SessionID, req.SessionEpoch = 0, -1 // full fetches, no session
	topics := map[metadata.Uuid]int{}
	for i := range items {
		it := &items[i]
		p := it.p
		it.fetchOffset = p.Log.LogEndOffset()
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition = p.Index
		rp.CurrentLeaderEpoch = it.leaderEpoch
		rp.FetchOffset = it.fetchOffset
		rp.LastFetchedEpoch = p.Log.LatestEpoch()
		rp.LogStartOffset = p.Log.LogStartOffset()
		rp.HighWatermark = p.Log.HighWatermark()
		rp.PartitionMaxBytes = s.fetchMaxBytes
		ti, ok := topics[p.TopicID]
		if !ok {
			rt := kmsg.NewFetchRequestTopic()
			rt.Topic, rt.TopicID = p.Topic, p.TopicID
			req.Topics = append(req.Topics, rt)
			ti = len(req.Topics) - 1
			topics[p.TopicID] = ti
		}
		req.Topics[ti].Partitions = append(req.Topics[ti].Partitions, rp)
	}
	return req, items, 0
}

type partKey struct {
	topic     metadata.Uuid
	partition int32
}

func (f *fetcher) process(resp *kmsg.FetchResponse, items []fetchItem) {
	byKey := make(map[partKey]*fetchItem, len(items))
	for i := range items {
		byKey[partKey{items[i].p.TopicID, items[i].p.Index}] = &items[i]
	}
	for ti := range resp.Topics {
		rt := &resp.Topics[ti]
		for pi := range rt.Partitions {
			rp := &rt.Partitions[pi]
			it := byKey[partKey{rt.TopicID, rp.Partition}]
			if it == nil {
				continue
			}
			f.processPartition(it, rp)
		}
	}
}

func (f *fetcher) processPartition(it *fetchItem, rp *kmsg.FetchResponseTopicPartition) {
	p, backoff := it.p, f.m.set.fetchBackoff
	switch err := kerr.ErrorForCode(rp.ErrorCode); {
	case err == nil:
		if err := p.applyFetched(f, it, rp); err != nil {
			f.m.logger.Warn("applying fetched data failed; backing off", "partition", p.String(), "leader", f.key.leader, "err", err)
			f.delay(p, it.leaderEpoch, backoff)
			return
		}
		f.fetched(it, rp.HighWatermark, len(rp.RecordBatches))
	case errors.Is(err, kerr.OffsetOutOfRange):
		f.handleOutOfRange(it)
	case errors.Is(err, kerr.NotLeaderForPartition), errors.Is(err, kerr.FencedLeaderEpoch),
		errors.Is(err, kerr.UnknownLeaderEpoch), errors.Is(err, kerr.UnknownTopicOrPartition),
		errors.Is(err, kerr.UnknownTopicID):
		// The leader and this broker see different images; the next
		// image (ours or theirs) settles it.
		f.m.logger.Debug("fetch refused by leader; waiting for metadata", "partition", p.String(), "leader", f.key.leader,
			"leader_epoch", it.leaderEpoch, "err", err)
		f.delay(p, it.leaderEpoch, backoff)
	default:
		f.m.logger.Warn("fetch error from leader", "partition", p.String(), "leader", f.key.leader, "err", err)
		f.delay(p, it.leaderEpoch, backoff)
	}
}

// handleOutOfRange follows Kafka's fetchOffsetAndTruncate: ask the leader
// for its log end and start; a follower ahead of the leader's end truncates
// to it, one behind the leader's start empties its log and starts there.
func (f *fetcher) handleOutOfRange(it *fetchItem) {
	p := it.p
	end, err := f.listOffset(p, it.leaderEpoch, -1)
	var start int64
	if err == nil {
		start, err = f.listOffset(p, it.leaderEpoch, -2)
	}
	if err == nil {
		var moved bool
		moved, err = p.resetAfterOutOfRange(f, it, start, end)
		if err == nil && moved {
			return
		}
	}
	if err != nil {
		f.m.logger.Warn("recovering from OFFSET_OUT_OF_RANGE failed", "partition", p.String(), "leader", f.key.leader, "err", err)
	}
	f.delay(p, it.leaderEpoch, f.m.set.fetchBackoff)
}

// listOffset asks the leader, as a replica, for its latest (-1: log end)
// or earliest (-2) offset.
func (f *fetcher) listOffset(p *Partition, leaderEpoch int32, ts int64) (int64, error) {
	req := kmsg.NewPtrListOffsetsRequest()
	req.Version = listOffsetsVersion
	req.ReplicaID = f.m.nodeID
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = p.Topic
	rp := kmsg.NewListOffsetsRequestTopicPartition()
	rp.Partition, rp.CurrentLeaderEpoch, rp.Timestamp = p.Index, leaderEpoch, ts
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	ctx, cancel := context.WithTimeout(f.ctx, requestTimeout)
	defer cancel()
	kresp, err := f.client.Do(ctx, req)
	if err != nil {
		return 0, err
	}
	resp := kresp.(*kmsg.ListOffsetsResponse)
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		return 0, fmt.Errorf("replica: malformed ListOffsets response from %s", f.key.addr)
	}
	got := resp.Topics[0].Partitions[0]
	if err := kerr.ErrorForCode(got.ErrorCode); err != nil {
		return 0, err
	}
	return got.Offset, nil
}
