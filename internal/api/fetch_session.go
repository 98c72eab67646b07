package api

// Fetch sessions (KIP-227). A consumer fetching many partitions sends the
// full list once (epoch 0), then only what changed (epoch 1, 2, ...); the
// broker answers with only the partitions that have news. The cache is
// bounded (max.incremental.fetch.session.cache.slots, 1000 by default) and
// evicts the least recently used session; an evicted client gets
// FETCH_SESSION_ID_NOT_FOUND and starts over with a full fetch.

import (
	"math/rand/v2"
	"sync"
	"time"
)

// tpKey names a partition by topic name, or by topic id from Fetch v13 on.
type tpKey struct {
	topic     string
	id        [16]byte
	partition int32
}

// sessionPartition is one partition of a session: what the client last
// asked for, and what we last told it (to detect news).
type sessionPartition struct {
	key                tpKey
	fetchOffset        int64
	maxBytes           int32
	currentLeaderEpoch int32
	lastFetchedEpoch   int32
	logStartOffset     int64 // a follower's own log start (KIP-107)
	replicaHW          int64 // the HW the follower knows (v18, KIP-1166); MaxInt64: not sent

	sentHW, sentLSO, sentLogStart int64
}

// fetchSession is owned by whichever request holds its mutex; a client
// uses a session from one connection, so contention is nil in practice.
type fetchSession struct {
	mu       sync.Mutex
	id       int32
	epoch    int32 // next expected epoch
	order    []*sessionPartition
	index    map[tpKey]*sessionPartition
	lastUsed time.Time
}

type fetchSessions struct {
	mu   sync.Mutex
	byID map[int32]*fetchSession
	max  int
	now  func() time.Time
}

func newFetchSessions(max int, now func() time.Time) *fetchSessions {
	return &fetchSessions{byID: map[int32]*fetchSession{}, max: max, now: now}
}

// create makes a new session, evicting the least recently used one when the
// cache is full. It returns nil when max is 0 (sessions disabled).
func (fs *fetchSessions) create() *fetchSession {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.max <= 0 {
		return nil
	}
	if len(fs.byID) >= fs.max {
		var lru *fetchSession
		for _, s := range fs.byID {
			if lru == nil || s.lastUsed.Before(lru.lastUsed) {
				lru = s
			}
		}
		delete(fs.byID, lru.id)
	}
	s := &fetchSession{epoch: 1, index: map[tpKey]*sessionPartition{}, lastUsed: fs.now()}
	for s.id == 0 || fs.byID[s.id] != nil {
		s.id = rand.Int32()
	}
	fs.byID[s.id] = s
	return s
}

func (fs *fetchSessions) get(id int32) *fetchSession {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	s := fs.byID[id]
	if s != nil {
		s.lastUsed = fs.now()
	}
	return s
}

func (fs *fetchSessions) remove(id int32) {
	fs.mu.Lock()
	delete(fs.byID, id)
	fs.mu.Unlock()
}

// upsert adds a partition or updates what the client asks of it.
func (s *fetchSession) upsert(sp sessionPartition) {
	if cur, ok := s.index[sp.key]; ok {
		cur.fetchOffset, cur.maxBytes, cur.logStartOffset, cur.replicaHW = sp.fetchOffset, sp.maxBytes, sp.logStartOffset, sp.replicaHW
		cur.currentLeaderEpoch, cur.lastFetchedEpoch = sp.currentLeaderEpoch, sp.lastFetchedEpoch
		return
	}
	p := sp
	p.sentHW, p.sentLSO, p.sentLogStart = -1, -1, -1
	s.index[p.key] = &p
	s.order = append(s.order, &p)
}

func (s *fetchSession) forget(k tpKey) {
	if _, ok := s.index[k]; !ok {
		return
	}
	delete(s.index, k)
	for i, p := range s.order {
		if p.key == k {
			s.order = append(s.order[:i], s.order[i+1:]...)
			return
		}
	}
}

// rotate moves partitions that returned data to the back, so a partition
// with a steady stream cannot starve the rest under the response size cap.
func (s *fetchSession) rotate(served map[tpKey]bool) {
	if len(served) == 0 {
		return
	}
	front := s.order[:0:0]
	var back []*sessionPartition
	for _, p := range s.order {
		if served[p.key] {
			back = append(back, p)
		} else {
			front = append(front, p)
		}
	}
	s.order = append(front, back...)
}
