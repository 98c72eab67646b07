package replica

import (
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/storage"
)

// Manager owns the partitions hosted on this broker. Apply runs on the
// metadata publisher goroutine; lookups take a read lock.
type Manager struct {
	nodeID int32
	cfg    *config.Broker
	logs   *storage.Manager
	logger *slog.Logger

	mu    sync.RWMutex
	parts map[string][]*Partition // topic name → by partition index
	byID  map[metadata.Uuid]string
}

// NewManager returns a manager with no partitions; Apply fills it.
func NewManager(nodeID int32, cfg *config.Broker, logs *storage.Manager, logger *slog.Logger) *Manager {
	return &Manager{nodeID: nodeID, cfg: cfg, logs: logs, logger: logger,
		parts: map[string][]*Partition{}, byID: map[metadata.Uuid]string{}}
}

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

// TopicName maps a topic id to its name, if hosted here.
func (m *Manager) TopicName(id metadata.Uuid) (string, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	n, ok := m.byID[id]
	return n, ok
}

// Apply brings local partitions in line with the image: it is a metadata
// subscriber and must be called in log order. A failure to open one log is
// logged and leaves that partition absent (clients get
// NOT_LEADER_OR_FOLLOWER/UNKNOWN_TOPIC_OR_PARTITION) rather than stopping
// the broker.
func (m *Manager) Apply(prev, next *metadata.Image) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for name, ps := range m.parts {
		t, ok := next.Topics[name]
		if ok && (prev == nil || prev.Topics[name] == nil || prev.Topics[name].ID == t.ID) {
			continue
		}
		for _, p := range ps {
			if p == nil {
				continue
			}
			if err := m.logs.Remove(p.Topic, p.Index); err != nil {
				m.logger.Error("deleting partition log", "topic", p.Topic, "partition", p.Index, "err", err)
			}
		}
		delete(m.parts, name)
		for id, n := range m.byID {
			if n == name {
				delete(m.byID, id)
			}
		}
	}
	for name, t := range next.Topics {
		cfg := m.LogConfig(next, name)
		ps := m.parts[name]
		for _, st := range t.Partitions {
			if !slices.Contains(st.Replicas, m.nodeID) {
				continue
			}
			for int(st.Partition) >= len(ps) {
				ps = append(ps, nil)
			}
			p := ps[st.Partition]
			if p == nil {
				lg, err := m.logs.GetOrCreate(name, st.Partition, cfg)
				if err != nil {
					m.logger.Error("opening partition log", "topic", name, "partition", st.Partition, "err", err)
					continue
				}
				p = &Partition{Topic: name, TopicID: t.ID, Index: st.Partition, Internal: t.Internal, Log: lg, nodeID: m.nodeID}
				ps[st.Partition] = p
			} else if configsChanged(prev, next, name) {
				p.Log.SetConfig(cfg)
			}
			p.state.Store(st)
			if len(st.Replicas) == 1 && st.Leader == m.nodeID {
				p.Log.SetHighWatermark(p.Log.LogEndOffset())
			}
		}
		m.parts[name] = ps
		m.byID[t.ID] = name
	}
}

func configsChanged(prev, next *metadata.Image, topic string) bool {
	if prev == nil {
		return true
	}
	r := metadata.ConfigResource{Type: metadata.TopicResource, Name: topic}
	a, b := prev.Configs[r], next.Configs[r]
	if len(a) != len(b) {
		return true
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return true
		}
	}
	return false
}

// LogConfig resolves a topic's storage configuration from its overrides and
// the broker's defaults.
func (m *Manager) LogConfig(im *metadata.Image, topic string) storage.LogConfig {
	return ResolveLogConfig(m.cfg, im.Configs[metadata.ConfigResource{Type: metadata.TopicResource, Name: topic}])
}

// String is for logs.
func (p *Partition) String() string { return fmt.Sprintf("%s-%d", p.Topic, p.Index) }
