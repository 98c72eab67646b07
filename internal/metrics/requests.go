package metrics

import (
	"reflect"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// durationBuckets span a cached metadata answer (~50 µs) to a long-polling
// Fetch or an acks=all Produce waiting for followers (seconds).
var durationBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// closedError is the error label of a request that closed its connection
// instead of being answered (malformed, an unsupported version, a failed
// acks=0 produce): Kafka has no error code for it.
const closedError = "CONNECTION_CLOSED"

// Requests counts requests and their latency per API, and the errors their
// responses carry. It implements internal/network's Observer. Safe for
// concurrent use.
type Requests struct {
	total    *prometheus.CounterVec
	duration *prometheus.HistogramVec
	errors   *prometheus.CounterVec
	// apis holds each API key's resolved children, created on first use so
	// an API never called exports no series.
	apis [kmsg.MaxKey + 1]atomic.Pointer[apiMetrics]
	mu   sync.Mutex // serialises creating an apiMetrics
}

// apiMetrics are one API's label children, resolved once.
type apiMetrics struct {
	name     string
	total    prometheus.Counter
	duration prometheus.Observer
	// errCode finds the response's top-level ErrorCode field, if its type
	// has one; cached for the last response type seen (one per API).
	errCode atomic.Pointer[errField]
}

// errField is where a response type keeps its top-level error code: the
// field offsets along its (possibly embedded) path, an embedded pointer
// being followed between two steps. Reading it this way costs a few
// nanoseconds where reflect's FieldByIndex costs a hundred.
type errField struct {
	typ   reflect.Type
	steps []fieldStep // nil: the type has no ErrorCode
}

type fieldStep struct {
	offset uintptr
	deref  bool // the field is a pointer to the next struct
}

// newErrField finds typ's ErrorCode field; typ is a pointer to a struct.
func newErrField(typ reflect.Type) *errField {
	f := &errField{typ: typ}
	sf, ok := typ.Elem().FieldByName("ErrorCode")
	if !ok || sf.Type.Kind() != reflect.Int16 {
		return f
	}
	t := typ.Elem()
	for i, idx := range sf.Index {
		fld := t.Field(idx)
		step := fieldStep{offset: fld.Offset}
		if i < len(sf.Index)-1 {
			t = fld.Type
			if t.Kind() == reflect.Pointer {
				step.deref, t = true, t.Elem()
			}
		}
		f.steps = append(f.steps, step)
	}
	return f
}

// read returns the error code of a response whose value is v.
func (f *errField) read(v reflect.Value) int16 {
	if f.steps == nil {
		return 0
	}
	p := v.UnsafePointer()
	for _, s := range f.steps {
		p = unsafe.Add(p, s.offset)
		if s.deref {
			if p = *(*unsafe.Pointer)(p); p == nil {
				return 0
			}
		}
	}
	return *(*int16)(p)
}

// NewRequests returns the request metrics; register them with Register.
func NewRequests() *Requests {
	return &Requests{
		total: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "strom_requests_total", Help: "Requests served, by Kafka API name.",
		}, []string{"api"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "strom_request_duration_seconds",
			Help:    "Time from reading a request to writing its response (including waits: Fetch long polls, acks=all), by Kafka API name.",
			Buckets: durationBuckets,
		}, []string{"api"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "strom_request_errors_total",
			Help: "Errors answered, by API and Kafka error name: a response's top-level error code, each failed Produce partition, or CONNECTION_CLOSED for a request that closed its connection.",
		}, []string{"api", "error"}),
	}
}

// Collectors are the metrics to register.
func (r *Requests) Collectors() []prometheus.Collector {
	return []prometheus.Collector{r.total, r.duration, r.errors}
}

// Observe records one request: key is its API key, resp its response (nil
// when none was sent), err non-nil when the request closed the connection,
// elapsed the time from reading it to answering. Unknown keys are ignored.
func (r *Requests) Observe(key int16, resp kmsg.Response, err error, elapsed time.Duration) {
	if key < 0 || int(key) >= len(r.apis) {
		return
	}
	m := r.apis[key].Load()
	if m == nil {
		if m = r.resolve(key); m == nil {
			return
		}
	}
	m.total.Inc()
	m.duration.Observe(elapsed.Seconds())
	switch {
	case err != nil:
		r.errors.WithLabelValues(m.name, closedError).Inc()
	case resp != nil:
		r.countErrors(m, resp)
	}
}

// resolve creates key's children, or returns nil for a key kmsg does not
// know (a malformed header).
func (r *Requests) resolve(key int16) *apiMetrics {
	if kmsg.RequestForKey(key) == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if m := r.apis[key].Load(); m != nil {
		return m
	}
	name := kmsg.NameForKey(key)
	m := &apiMetrics{name: name, total: r.total.WithLabelValues(name), duration: r.duration.WithLabelValues(name)}
	r.apis[key].Store(m)
	return m
}

// countErrors counts the error codes a response carries: Produce's per
// partition (its hot failure: NOT_LEADER_OR_FOLLOWER and friends), every
// other API's top-level code when it has one. The error path resolves its
// label child per error; the success path does no map lookup.
func (r *Requests) countErrors(m *apiMetrics, resp kmsg.Response) {
	if p, ok := resp.(*kmsg.ProduceResponse); ok {
		for i := range p.Topics {
			for j := range p.Topics[i].Partitions {
				if c := p.Topics[i].Partitions[j].ErrorCode; c != 0 {
					r.errors.WithLabelValues(m.name, errorName(c)).Inc()
				}
			}
		}
		return
	}
	if c := topLevelError(m, resp); c != 0 {
		r.errors.WithLabelValues(m.name, errorName(c)).Inc()
	}
}

// topLevelError reads resp's ErrorCode field (promoted through embedding,
// so a handler's wrapper type works) with the field path cached per API.
func topLevelError(m *apiMetrics, resp kmsg.Response) int16 {
	v := reflect.ValueOf(resp)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return 0
	}
	f := m.errCode.Load()
	if f == nil || f.typ != v.Type() {
		f = newErrField(v.Type())
		m.errCode.Store(f)
	}
	return f.read(v)
}

// errorName is Kafka's name for an error code, e.g. NOT_LEADER_OR_FOLLOWER.
func errorName(code int16) string {
	if code == kerr.NotLeaderForPartition.Code {
		return "NOT_LEADER_OR_FOLLOWER" // kerr keeps the pre-KIP-392 name
	}
	if e, ok := kerr.ErrorForCode(code).(*kerr.Error); ok {
		return e.Message
	}
	return "UNKNOWN_SERVER_ERROR" // kerr maps unknown codes to this too
}
