package quota

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/wire"
)

// Request keys whose handler waits for other clients (the rest of the
// group): their wall time is not this client's handling time, so they
// record none (they are still throttled if the client is over its quota).
const (
	joinGroupKey = 11
	syncGroupKey = 14
)

type waitKey struct{}

// Waited tells the request quota that the request of ctx spent d waiting
// (a Fetch's long poll), which is not handling time. A no-op when the
// request is not under a request quota.
func Waited(ctx context.Context, d time.Duration) {
	if w, ok := ctx.Value(waitKey{}).(*atomic.Int64); ok {
		w.Add(int64(d))
	}
}

// ClientID is the quota client id of a connection ("" when the request
// header has none, as in Kafka).
func ClientID(c *wire.Conn) string {
	if c.ClientID == nil {
		return ""
	}
	return *c.ClientID
}

// Wrap applies the request quota to an API's handler: it records the
// handling time of each request of a client under a request_percentage
// quota and raises the response's throttle_time_ms to the request throttle
// (Kafka answers with the larger of the byte-rate and request throttles).
// quotas returns the current image's quotas. Follower fetches are exempt
// (Kafka exempts cluster actions); a Pending response (acks=all Produce)
// keeps its own throttle, and its time is still recorded.
func (m *Manager) Wrap(key int16, quotas func() Quotas, next wire.Handler) wire.Handler {
	return func(ctx context.Context, c *wire.Conn, h wire.Header, req kmsg.Request) (kmsg.Response, error) {
		q := quotas()
		if _, _, ok := Resolve(q, Request.Key(), User(c.Principal), ClientID(c)); !ok || exempt(req) {
			return next(ctx, c, h, req)
		}
		waited := new(atomic.Int64)
		ctx = context.WithValue(ctx, waitKey{}, waited)
		start := m.cfg.Now()
		resp, err := next(ctx, c, h, req)
		if err != nil {
			return resp, err
		}
		elapsed := m.cfg.Now().Sub(start) - time.Duration(waited.Load())
		if key == joinGroupKey || key == syncGroupKey || elapsed < 0 {
			elapsed = 0
		}
		d := m.Record(q, Request, User(c.Principal), ClientID(c), elapsed.Seconds()*100)
		SetThrottle(resp, d)
		return resp, nil
	}
}

// SetThrottle raises resp's throttle_time_ms to d, if resp has one.
func SetThrottle(resp kmsg.Response, d time.Duration) {
	if d <= 0 {
		return
	}
	st, ok := resp.(interface {
		kmsg.ThrottleResponse
		kmsg.SetThrottleResponse
	})
	if !ok {
		return
	}
	ms := int32(min(d.Milliseconds(), 1<<31-1))
	if cur, _ := st.Throttle(); ms > cur {
		st.SetThrottle(ms)
	}
}

// exempt reports requests outside client quotas: follower fetches.
func exempt(req kmsg.Request) bool {
	f, ok := req.(*kmsg.FetchRequest)
	if !ok {
		return false
	}
	if f.Version >= 15 {
		return f.ReplicaState.ID >= 0
	}
	return f.ReplicaID >= 0
}
