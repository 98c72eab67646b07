package quota

import (
	"strings"
	"sync"
	"time"
)

// Kind is a quota type. The numbers are only in memory.
type Kind int8

const (
	Produce Kind = 1 // producer_byte_rate: bytes produced per second
	Fetch   Kind = 2 // consumer_byte_rate: bytes fetched per second (consumers only)
	Request Kind = 3 // request_percentage: request handling time, % of one thread
)

// Key is the quota key of k in AlterClientQuotas.
func (k Kind) Key() string {
	switch k {
	case Produce:
		return "producer_byte_rate"
	case Fetch:
		return "consumer_byte_rate"
	case Request:
		return "request_percentage"
	}
	return ""
}

func (k Kind) String() string {
	switch k {
	case Produce:
		return "produce"
	case Fetch:
		return "fetch"
	case Request:
		return "request"
	}
	return "unknown"
}

// Config configures a Manager.
type Config struct {
	Samples int           // quota.window.num
	Window  time.Duration // quota.window.size.seconds
	Now     func() time.Time
	// OnThrottle, if set, is told about every throttle (metrics).
	OnThrottle func(k Kind, d time.Duration)
}

// Manager holds the rates of the clients of one broker.
type Manager struct {
	cfg Config
	w   window

	mu        sync.Mutex
	rates     map[rateKey]*rateEntry
	lastSweep time.Time
}

type rateKey struct {
	kind Kind
	b    Bucket
}

type rateEntry struct {
	r    rate
	used time.Time
}

// NewManager returns a Manager; zero Config fields take Kafka's defaults
// (11 samples of 1 s, the wall clock).
func NewManager(cfg Config) *Manager {
	if cfg.Samples <= 0 {
		cfg.Samples = 11
	}
	if cfg.Window <= 0 {
		cfg.Window = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Manager{cfg: cfg, w: window{n: cfg.Samples, size: cfg.Window}, rates: map[rateKey]*rateEntry{}}
}

// Now is the Manager's clock.
func (m *Manager) Now() time.Time { return m.cfg.Now() }

// User is the quota user of a principal ("User:alice" → "alice"), as
// Kafka takes KafkaPrincipal.getName.
func User(principal string) string {
	if _, name, ok := strings.Cut(principal, ":"); ok {
		return name
	}
	return principal
}

// Record adds v (bytes, or for Request percent-seconds of handling time)
// to the rate of kind for (user, clientID) under q, and returns how long
// the client is to be throttled: zero when no quota applies or the rate
// is within it. As in Kafka the value is recorded even when it exceeds
// the quota. Request throttles are capped at one window (Kafka's
// ClientRequestQuotaManager); byte-rate throttles are not.
func (m *Manager) Record(q Quotas, kind Kind, user, clientID string, v float64) time.Duration {
	bound, b, ok := Resolve(q, kind.Key(), user, clientID)
	if !ok {
		return 0
	}
	now := m.cfg.Now()
	m.mu.Lock()
	m.sweepLocked(now)
	k := rateKey{kind, b}
	e := m.rates[k]
	if e == nil {
		e = &rateEntry{}
		m.rates[k] = e
	}
	e.used = now
	e.r.record(m.w, now, v)
	d := e.r.throttle(m.w, now, bound)
	m.mu.Unlock()
	if kind == Request {
		d = min(d, m.cfg.Window)
	}
	if d > 0 && m.cfg.OnThrottle != nil {
		m.cfg.OnThrottle(kind, d)
	}
	return d
}

// MaxFetchBytes is the most a throttled-or-not consumer's Fetch may return
// at once (Kafka's getMaxValueInQuotaWindow): the quota over the windows
// but the current one. ok is false when no fetch quota applies.
func (m *Manager) MaxFetchBytes(q Quotas, user, clientID string) (n int32, ok bool) {
	bound, _, ok := Resolve(q, Fetch.Key(), user, clientID)
	if !ok {
		return 0, false
	}
	v := bound * float64(max(m.w.n-1, 1)) * m.w.size.Seconds()
	if v >= 1<<31-1 {
		return 1<<31 - 1, true
	}
	return int32(v), true
}

// sweepLocked drops rates unused for the whole window span: they have
// aged out entirely, so a fresh rate is the same. It runs at most once
// per span, keeping Record O(1) amortised.
func (m *Manager) sweepLocked(now time.Time) {
	span := time.Duration(m.w.n) * m.w.size
	if now.Sub(m.lastSweep) < span {
		return
	}
	m.lastSweep = now
	for k, e := range m.rates {
		if now.Sub(e.used) >= span {
			delete(m.rates, k)
		}
	}
}
