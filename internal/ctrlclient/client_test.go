package ctrlclient

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/network"
	"github.com/strom-project/strom/internal/wire"
)

// controller serves BrokerHeartbeat on a real listener; active says
// whether it answers as the active controller or with NOT_CONTROLLER.
func controller(t *testing.T, active *atomic.Bool, served *atomic.Int32) string {
	t.Helper()
	reg := wire.NewRegistry()
	reg.Register(wire.API{Key: 63, Min: 0, Max: 1, Handle: func(_ context.Context, _ *wire.Conn, _ wire.Header, req kmsg.Request) (kmsg.Response, error) {
		served.Add(1)
		resp := req.ResponseKind().(*kmsg.BrokerHeartbeatResponse)
		if !active.Load() {
			resp.ErrorCode = kerr.NotController.Code
		}
		resp.IsCaughtUp = true
		return resp, nil
	}})
	s := network.New(network.Options{Registry: reg, MaxRequestBytes: 1 << 20})
	t.Cleanup(s.Close)
	addr, err := s.Listen("CONTROLLER", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return addr.String()
}

func heartbeat() *kmsg.BrokerHeartbeatRequest {
	req := kmsg.NewPtrBrokerHeartbeatRequest()
	req.SetVersion(1)
	req.BrokerID, req.BrokerEpoch = 1, 5
	return req
}

// A NOT_CONTROLLER answer makes the client look the leader up again and
// retry; the retry reaches the new active controller.
func TestFollowsTheActiveController(t *testing.T) {
	var activeA, activeB atomic.Bool
	var servedA, servedB atomic.Int32
	addrs := map[int32]string{2: controller(t, &activeA, &servedA), 3: controller(t, &activeB, &servedB)}
	var leader atomic.Int32
	leader.Store(2)
	activeB.Store(true)
	c := New(Options{NodeID: 1, Voters: addrs, Backoff: time.Millisecond,
		Leader: func() int32 {
			// The first lookup still names the old leader; later
			// lookups see the election's result.
			if servedA.Load() > 0 {
				leader.Store(3)
			}
			return leader.Load()
		},
		Local: func(context.Context, kmsg.Request) (kmsg.Response, error) {
			t.Error("not the leader: no local call")
			return nil, nil
		},
	})
	defer c.Close()
	resp, err := c.Do(context.Background(), heartbeat())
	if err != nil {
		t.Fatal(err)
	}
	if !resp.(*kmsg.BrokerHeartbeatResponse).IsCaughtUp || servedA.Load() != 1 || servedB.Load() != 1 {
		t.Fatalf("served by A %d, B %d times; want one each", servedA.Load(), servedB.Load())
	}
}

// When this node leads, the request is served in process.
func TestLocalWhenLeader(t *testing.T) {
	var local atomic.Int32
	c := New(Options{NodeID: 1, Leader: func() int32 { return 1 },
		Local: func(_ context.Context, req kmsg.Request) (kmsg.Response, error) {
			local.Add(1)
			return req.ResponseKind(), nil
		}})
	defer c.Close()
	if _, err := c.Do(context.Background(), heartbeat()); err != nil || local.Load() != 1 {
		t.Fatalf("err %v, local calls %d", err, local.Load())
	}
}

// With no leader the client retries until its context ends and says so.
func TestNoController(t *testing.T) {
	c := New(Options{NodeID: 1, Leader: func() int32 { return -1 }, Backoff: time.Millisecond})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Do(ctx, heartbeat())
	if !errors.Is(err, ErrNoController) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrNoController and the deadline", err)
	}
	c.Close()
	if _, err := c.Do(context.Background(), heartbeat()); !errors.Is(err, wire.ErrClientClosed) {
		t.Fatalf("after Close: %v", err)
	}
}
