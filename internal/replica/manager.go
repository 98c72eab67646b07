package replica

import (
	"context"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/storage"
)

// Manager owns the partitions hosted on this broker (Kafka's
// ReplicaManager). Apply runs on the metadata publisher goroutine;
// lookups take a read lock. Background work — follower fetchers, ISR
// proposals, the ISR shrink check — runs on goroutines that Close stops.
type Manager struct {
	opts   Options
	nodeID int32
	cfg    *config.Broker
	logs   *storage.Manager
	logger *slog.Logger
	now    func() time.Time
	set    settings
	image  atomic.Pointer[metadata.Image]

	mu    sync.RWMutex
	parts map[string][]*Partition // topic name → by partition index
	byID  map[metadata.Uuid]string

	fetchMu  sync.Mutex
	fetchers map[fetcherKey]*fetcher

	throttle throttle // replication quotas (throttle.go)

	isrShrinks, isrExpands atomic.Int64 // committed ISR changes this broker proposed (metrics)

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	goMu   sync.Mutex // orders goroutine starts before Close's wait
	closed bool       // goMu
	wg     sync.WaitGroup
}

// NewManager returns a manager with no partitions; Apply fills it. It
// starts the ISR shrink check; Close stops it.
func NewManager(opts Options) *Manager {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := &Manager{opts: opts, nodeID: opts.NodeID, cfg: opts.Config, logs: opts.Logs, logger: opts.Logger, now: opts.Now,
		set: readSettings(opts.Config), parts: map[string][]*Partition{}, byID: map[metadata.Uuid]string{},
		fetchers: map[fetcherKey]*fetcher{}}
	m.image.Store(metadata.NewImage())
	m.throttle.init(opts.Config, opts.Now)
	m.ctx, m.cancel = context.WithCancel(context.Background())
	interval := opts.ShrinkCheckInterval
	if interval <= 0 {
		interval = max(time.Duration(m.set.lagMs)*time.Millisecond/2, time.Millisecond)
	}
	m.spawn(func() { m.shrinkLoop(interval) })
	return m
}

// spawn runs fn on a goroutine Close waits for; after Close it does
// nothing and reports false.
func (m *Manager) spawn(fn func()) bool {
	m.goMu.Lock()
	defer m.goMu.Unlock()
	if m.closed {
		return false
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		fn()
	}()
	return true
}

// Close stops fetchers and background work and ends waits for commits
// (ErrNotLeader). Call it before the logs close.
func (m *Manager) Close() {
	m.goMu.Lock()
	m.closed = true
	m.goMu.Unlock()
	m.cancel()
	m.fetchMu.Lock()
	for k, f := range m.fetchers {
		f.stop()
		delete(m.fetchers, k)
	}
	m.fetchMu.Unlock()
	m.wg.Wait()
}

func (m *Manager) nowMs() int64 { return m.now().UnixMilli() }

// Partition returns the partition, or ErrUnknownTopicOrPartition when this
// broker does not host it.
func (m *Manager) Partition(topic string, index int32) (*Partition, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	ps := m.parts[topic]
	if index < 0 || int(index) >= len(ps) || ps[index] == nil {
		return nil, ErrUnknownTopicOrPartition
	}
	return ps[index], nil
}

// Partitions lists every partition hosted here, by topic name and index.
func (m *Manager) Partitions() []*Partition {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []*Partition
	for _, name := range slices.Sorted(maps.Keys(m.parts)) {
		for _, p := range m.parts[name] {
			if p != nil {
				out = append(out, p)
			}
		}
	}
	return out
}

// ISRChanges counts the ISR shrinks and expansions this broker proposed as
// leader and the controller committed (Kafka's IsrShrinksPerSec and
// IsrExpandsPerSec), whether the AlterPartition answer or the metadata
// image brought the commit first; changes the controller makes on its own
// (fencing, controlled shutdown) are not counted.
func (m *Manager) ISRChanges() (shrinks, expands int64) {
	return m.isrShrinks.Load(), m.isrExpands.Load()
}

func (m *Manager) countISRChange(before, after int) {
	switch {
	case after < before:
		m.isrShrinks.Add(1)
	case after > before:
		m.isrExpands.Add(1)
	}
}

// TopicName maps a topic id to its name, if hosted here.
func (m *Manager) TopicName(id metadata.Uuid) (string, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	n, ok := m.byID[id]
	return n, ok
}

// Apply brings local partitions in line with the image: it is a metadata
// subscriber and must be called in log order. It opens logs for partitions
// placed here, makes each leader or follower, and stops and deletes those
// that left. It does not wait on the network: fetchers and ISR proposals
// run on their own goroutines. A failure to open one log is logged and
// leaves that partition absent (clients get NOT_LEADER_OR_FOLLOWER /
// UNKNOWN_TOPIC_OR_PARTITION) rather than stopping the broker.
func (m *Manager) Apply(prev, next *metadata.Image) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.image.Store(next)
	for name, ps := range m.parts {
		t := next.Topics[name]
		for i, p := range ps {
			if p == nil {
				continue
			}
			if t != nil && t.ID == p.TopicID && i < len(t.Partitions) && slices.Contains(t.Partitions[i].Replicas, m.nodeID) {
				continue
			}
			m.removeLocked(p)
			ps[i] = nil
		}
		if !slices.ContainsFunc(ps, func(p *Partition) bool { return p != nil }) {
			delete(m.parts, name)
			for id, n := range m.byID {
				if n == name {
					delete(m.byID, id)
				}
			}
		}
	}
	dyn := m.dynamicConfig(next)
	m.applyThrottles(next, dyn)
	// A dynamic broker config (this broker's or the cluster default) can be
	// the value of any topic's config: re-resolve every topic when one
	// changes.
	brokerChanged := m.brokerConfigsChanged(prev, next)
	for name, t := range next.Topics {
		changed := brokerChanged || configsChanged(prev, next, name)
		var cfg *storage.LogConfig
		ps := m.parts[name]
		for _, st := range t.Partitions {
			if !slices.Contains(st.Replicas, m.nodeID) {
				continue
			}
			for int(st.Partition) >= len(ps) {
				ps = append(ps, nil)
			}
			p := ps[st.Partition]
			if p == nil || changed {
				if cfg == nil {
					c := ResolveLogConfig(dyn, topicConfigs(next, name))
					cfg = &c
				}
			}
			if p == nil {
				lg, err := m.logs.GetOrCreate(name, st.Partition, *cfg)
				if err != nil {
					m.logger.Error("opening partition log", "topic", name, "partition", st.Partition, "err", err)
					continue
				}
				p = &Partition{Topic: name, TopicID: t.ID, Index: st.Partition, Internal: t.Internal, Log: lg,
					nodeID: m.nodeID, m: m, leaderEpochStart: -1}
				p.minISR.Store(ResolveMinISR(dyn, topicConfigs(next, name)))
				ps[st.Partition] = p
			} else if changed {
				p.Log.SetConfig(*cfg)
				p.minISR.Store(ResolveMinISR(dyn, topicConfigs(next, name)))
			}
			p.applyState(st, next)
		}
		if len(ps) > 0 {
			m.parts[name] = ps
			m.byID[t.ID] = name
		}
	}
}

// removeLocked stops a partition that left this broker and deletes its log.
func (m *Manager) removeLocked(p *Partition) {
	p.remove()
	if err := m.logs.Remove(p.Topic, p.Index); err != nil {
		m.logger.Error("deleting partition log", "topic", p.Topic, "partition", p.Index, "err", err)
	}
}

func configsChanged(prev, next *metadata.Image, topic string) bool {
	return prev == nil || resourceChanged(prev, next, metadata.ConfigResource{Type: metadata.TopicResource, Name: topic})
}

// brokerConfigsChanged reports whether this broker's dynamic configs or
// the cluster-wide dynamic defaults differ between the images.
func (m *Manager) brokerConfigsChanged(prev, next *metadata.Image) bool {
	return prev == nil ||
		resourceChanged(prev, next, metadata.ConfigResource{Type: metadata.BrokerResource}) ||
		resourceChanged(prev, next, metadata.ConfigResource{Type: metadata.BrokerResource, Name: metadata.BrokerConfigName(m.nodeID)})
}

func resourceChanged(prev, next *metadata.Image, r metadata.ConfigResource) bool {
	return !maps.Equal(prev.Configs[r], next.Configs[r])
}

func topicConfigs(im *metadata.Image, topic string) map[string]string {
	return im.Configs[metadata.ConfigResource{Type: metadata.TopicResource, Name: topic}]
}

// dynamicConfig is this broker's configuration as of im: the static
// configuration under im's dynamic broker configs.
func (m *Manager) dynamicConfig(im *metadata.Image) *config.Dynamic {
	return m.cfg.Dynamic(
		im.Configs[metadata.ConfigResource{Type: metadata.BrokerResource, Name: metadata.BrokerConfigName(m.nodeID)}],
		im.Configs[metadata.ConfigResource{Type: metadata.BrokerResource}])
}

// LogConfig resolves a topic's storage configuration from its overrides,
// the dynamic broker configs and the broker's static configuration.
func (m *Manager) LogConfig(im *metadata.Image, topic string) storage.LogConfig {
	return ResolveLogConfig(m.dynamicConfig(im), topicConfigs(im, topic))
}

// isrEligible is Kafka's isReplicaIsrEligible under KRaft: the broker is
// registered, not fenced and not shutting down, and the broker epoch its fetch carried (if
// any) is the registered one, so a restarted broker's stale fetch cannot
// put it back in the ISR (KIP-903).
func (m *Manager) isrEligible(id int32, brokerEpoch int64) bool {
	b := m.image.Load().Brokers[id]
	if !b.Active() || brokerEpoch == noBrokerEpoch {
		return false
	}
	return brokerEpoch == -1 || brokerEpoch == b.Epoch
}

// brokerAddr is the inter-broker endpoint of a broker in im, or "".
func (m *Manager) brokerAddr(im *metadata.Image, id int32) string {
	b := im.Brokers[id]
	if b == nil {
		return ""
	}
	for _, e := range b.Endpoints {
		if m.set.interBrokerListener == "" || e.Listener == m.set.interBrokerListener {
			return net.JoinHostPort(e.Host, strconv.Itoa(int(e.Port)))
		}
	}
	return ""
}

// leaders lists the partitions this broker leads.
func (m *Manager) leaders() []*Partition {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []*Partition
	for _, ps := range m.parts {
		for _, p := range ps {
			if p != nil && p.IsLeader() {
				out = append(out, p)
			}
		}
	}
	return out
}

// shrinkLoop is Kafka's isr-expiration task.
func (m *Manager) shrinkLoop(interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-t.C:
			m.CheckISR()
		}
	}
}

// CheckISR runs one ISR shrink check over the partitions this broker
// leads; the background loop calls it every lag/2, tests directly.
func (m *Manager) CheckISR() {
	for _, p := range m.leaders() {
		p.maybeShrinkISR()
	}
}

// submitAlter sends ch to the controller on its own goroutine, retrying
// with backoff until it is answered or no longer pending.
func (m *Manager) submitAlter(p *Partition, ch *isrChange) {
	m.spawn(func() {
		backoff := 50 * time.Millisecond
		for {
			if m.ctx.Err() != nil {
				return
			}
			ctx, cancel := context.WithTimeout(m.ctx, 30*time.Second)
			res, err := m.opts.AlterPartition(ctx, p.TopicID, p.Index, ch.leaderEpoch, ch.partitionEpoch, slices.Clone(ch.isr))
			cancel()
			if err == nil && res == nil {
				err = errNoAnswer
			}
			if !p.alterDone(ch, res, err) {
				if err != nil {
					m.logger.Info("ISR change not committed", "partition", p.String(), "new_isr", ch.isr, "err", err)
				}
				return
			}
			m.logger.Warn("AlterPartition failed; retrying", "partition", p.String(), "new_isr", ch.isr, "err", err, "backoff", backoff)
			select {
			case <-m.ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 2*time.Second)
		}
	})
}
