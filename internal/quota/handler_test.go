package quota

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/testutil"
	"github.com/strom-project/strom/internal/wire"
)

// TestWrapRequestQuota: handling time counts against request_percentage
// and raises throttle_time_ms; long-poll waits and follower fetches do
// not count; clients without a quota are untouched.
func TestWrapRequestQuota(t *testing.T) {
	clock := testutil.NewClock()
	m := NewManager(Config{Samples: 11, Window: time.Second, Now: clock.Now})
	q := slowQuota("request_percentage", 10) // 10% of a thread: 1 s per 10 s span
	var work, wait time.Duration
	next := func(ctx context.Context, _ *wire.Conn, _ wire.Header, req kmsg.Request) (kmsg.Response, error) {
		clock.Advance(work)
		clock.Advance(wait)
		Waited(ctx, wait)
		return req.ResponseKind(), nil
	}
	h := m.Wrap(1, func() Quotas { return q }, next)
	id := "slow"
	conn := &wire.Conn{Principal: "User:ANONYMOUS", ClientID: &id}
	call := func(req kmsg.Request) int32 {
		t.Helper()
		resp, err := h(context.Background(), conn, wire.Header{}, req)
		if err != nil {
			t.Fatal(err)
		}
		ms, _ := resp.(kmsg.ThrottleResponse).Throttle()
		return ms
	}
	consumer := func() kmsg.Request { r := kmsg.NewPtrFetchRequest(); r.ReplicaID = -1; r.Version = 12; return r }
	follower := func() kmsg.Request { r := kmsg.NewPtrFetchRequest(); r.ReplicaID = 2; r.Version = 12; return r }

	// A 9 s long poll with 0.5 s of work: 5% — within the quota.
	work, wait = 500*time.Millisecond, 9*time.Second
	if ms := call(consumer()); ms != 0 {
		t.Fatalf("long-poll wait counted: throttled %d ms", ms)
	}
	// Follower fetches are exempt however long they take.
	work, wait = 5*time.Second, 0
	if ms := call(follower()); ms != 0 {
		t.Fatalf("follower fetch throttled %d ms", ms)
	}
	// 1 s more of work: 1.5 s over the 10 s span = 15% > 10%.
	work = time.Second
	if ms := call(consumer()); ms <= 0 {
		t.Fatal("handling time over the quota was not throttled")
	}
	// Another client id has no quota.
	other := "fast"
	conn.ClientID = &other
	if ms := call(consumer()); ms != 0 {
		t.Fatalf("client without a quota throttled %d ms", ms)
	}
}

func TestSetThrottleKeepsLarger(t *testing.T) {
	resp := &kmsg.ProduceResponse{ThrottleMillis: 900}
	SetThrottle(resp, 300*time.Millisecond)
	if resp.ThrottleMillis != 900 {
		t.Fatalf("throttle lowered to %d", resp.ThrottleMillis)
	}
	SetThrottle(resp, 2*time.Second)
	if resp.ThrottleMillis != 2000 {
		t.Fatalf("throttle %d, want 2000", resp.ThrottleMillis)
	}
	SetThrottle(nil, time.Second) // no response (acks=0): nothing to set
}
