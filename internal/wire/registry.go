package wire

import (
	"context"
	"net"
	"sort"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Conn describes the connection a request arrived on.
type Conn struct {
	Listener   string // listener name, e.g. PLAINTEXT
	RemoteAddr net.Addr
	ClientID   *string
	// Principal is "User:ANONYMOUS" until authentication lands.
	Principal string
}

// Handler serves one request. A nil response with a nil error means "send
// nothing" (Produce with acks=0). An error closes the connection.
//
// The request's memory belongs to the connection and is reused for the next
// request once the handler returns: []byte fields of req (record batches,
// group metadata, assignments) alias it. A handler that keeps any of them
// past its return must copy them. Strings are copies and may be kept.
type Handler func(ctx context.Context, c *Conn, h Header, req kmsg.Request) (kmsg.Response, error)

// API is one served API key and the version range advertised for it.
type API struct {
	Key      int16
	Min, Max int16
	Handle   Handler
}

// Registry is the set of served APIs. It is built once at start-up and
// read-only afterwards, so it needs no locking.
type Registry struct {
	apis map[int16]*API
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{apis: map[int16]*API{}} }

// Register adds an API; a duplicate key or a range kmsg cannot parse is a
// programming error.
func (r *Registry) Register(a API) {
	if _, dup := r.apis[a.Key]; dup {
		panic("wire: api key registered twice: " + kmsg.NameForKey(a.Key))
	}
	req := kmsg.RequestForKey(a.Key)
	if req == nil || a.Max > req.MaxVersion() || a.Min > a.Max {
		panic("wire: bad version range for " + kmsg.NameForKey(a.Key))
	}
	r.apis[a.Key] = &a
}

// Lookup returns the API for key, or nil.
func (r *Registry) Lookup(key int16) *API { return r.apis[key] }

// All returns the served APIs sorted by key.
func (r *Registry) All() []*API {
	out := make([]*API, 0, len(r.apis))
	for _, a := range r.apis {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
