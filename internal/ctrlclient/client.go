// Package ctrlclient sends a broker's requests to the active controller:
// its registration and heartbeats, ISR changes (AlterPartition), producer
// id blocks, and the admin requests (CreateTopics, …) clients sent to a
// broker that is not the active controller (KIP-590 forwarding).
//
// Requests are Kafka requests over the active controller's CONTROLLER
// listener. When this node is the active controller the request is served
// in process by the same handler, so there is one code path for a single
// node and for a cluster.
package ctrlclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/wire"
)

// ErrNoController is returned when no active controller answered before
// the context ended.
var ErrNoController = errors.New("ctrlclient: no active controller answered")

// Options configure a Client.
type Options struct {
	NodeID int32
	// Voters maps each voter's node id to its CONTROLLER listener address.
	Voters map[int32]string
	// Leader returns the node id of the current raft leader, or -1.
	Leader func() int32
	// Local serves a request in process when this node is the leader: the
	// CONTROLLER listener's handler for the request's key.
	Local func(ctx context.Context, req kmsg.Request) (kmsg.Response, error)
	// RequestTimeout bounds one attempt (controller.quorum.request.timeout.ms).
	RequestTimeout time.Duration
	// Backoff is the pause before retrying when no controller is known or
	// the one asked is not active any more; default 50ms.
	Backoff time.Duration
	Logger  *slog.Logger
	// Security is how the CONTROLLER listener is dialled.
	Security wire.Security
}

// Client is safe for concurrent use.
type Client struct {
	opts Options

	mu      sync.Mutex
	conns   map[int32]*wire.Client
	closed  bool
	closedc chan struct{}
}

// New returns a client; it dials lazily.
func New(opts Options) *Client {
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 2 * time.Second
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 50 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Client{opts: opts, conns: map[int32]*wire.Client{}, closedc: make(chan struct{})}
}

// Do sends req to the active controller and returns its response, retrying
// (with a fresh leader lookup) while no controller is known, the one asked
// answers NOT_CONTROLLER, or it cannot be reached, until ctx ends. The
// caller sets req's version. A request whose attempt timed out may have
// been applied: callers send requests that are safe to repeat (Kafka's
// broker-to-controller requests are).
func (c *Client) Do(ctx context.Context, req kmsg.Request) (kmsg.Response, error) {
	var last error
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("%w: %s: %w (last: %v)", ErrNoController, kmsg.NameForKey(req.Key()), ctx.Err(), last)
			case <-c.closedc:
				return nil, wire.ErrClientClosed
			case <-time.After(c.opts.Backoff):
			}
		}
		resp, err := c.try(ctx, req)
		switch {
		case err == nil && !notController(resp):
			return resp, nil
		case err == nil:
			last = kerr.NotController
		case errors.Is(err, wire.ErrClientClosed):
			return nil, err
		default:
			last = err
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: %s: %w (last: %v)", ErrNoController, kmsg.NameForKey(req.Key()), ctx.Err(), last)
		}
	}
}

func (c *Client) try(ctx context.Context, req kmsg.Request) (kmsg.Response, error) {
	leader := c.opts.Leader()
	if leader < 0 {
		return nil, errors.New("no controller elected")
	}
	actx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	defer cancel()
	if leader == c.opts.NodeID {
		return c.opts.Local(actx, req)
	}
	conn, err := c.conn(leader)
	if err != nil {
		return nil, err
	}
	return conn.Do(actx, req)
}

func (c *Client) conn(id int32) (*wire.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, wire.ErrClientClosed
	}
	if cl := c.conns[id]; cl != nil {
		return cl, nil
	}
	addr, ok := c.opts.Voters[id]
	if !ok {
		return nil, fmt.Errorf("controller %d is not in controller.quorum.voters", id)
	}
	cl := wire.NewSecureClient(addr, fmt.Sprintf("strom-broker-%d", c.opts.NodeID), c.opts.Security)
	c.conns[id] = cl
	return cl, nil
}

// Close closes the connections; Do then fails with wire.ErrClientClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	close(c.closedc)
	var errs []error
	for _, cl := range c.conns {
		errs = append(errs, cl.Close())
	}
	return errors.Join(errs...)
}

var notControllerCode = kerr.NotController.Code

// notController reports whether the controller asked was not the active
// one: a top-level NOT_CONTROLLER, or every item of a per-item response.
func notController(resp kmsg.Response) bool {
	switch r := resp.(type) {
	case *kmsg.BrokerRegistrationResponse:
		return r.ErrorCode == notControllerCode
	case *kmsg.BrokerHeartbeatResponse:
		return r.ErrorCode == notControllerCode
	case *kmsg.AlterPartitionResponse:
		return r.ErrorCode == notControllerCode
	case *kmsg.AllocateProducerIDsResponse:
		return r.ErrorCode == notControllerCode
	case *kmsg.ElectLeadersResponse:
		return r.ErrorCode == notControllerCode
	case *kmsg.AlterPartitionAssignmentsResponse:
		return r.ErrorCode == notControllerCode
	case *kmsg.ListPartitionReassignmentsResponse:
		return r.ErrorCode == notControllerCode
	case *kmsg.CreateTopicsResponse:
		return allNotController(r.Topics, func(t kmsg.CreateTopicsResponseTopic) int16 { return t.ErrorCode })
	case *kmsg.DeleteTopicsResponse:
		return allNotController(r.Topics, func(t kmsg.DeleteTopicsResponseTopic) int16 { return t.ErrorCode })
	case *kmsg.CreatePartitionsResponse:
		return allNotController(r.Topics, func(t kmsg.CreatePartitionsResponseTopic) int16 { return t.ErrorCode })
	}
	return false
}

func allNotController[T any](items []T, code func(T) int16) bool {
	if len(items) == 0 {
		return false
	}
	for _, it := range items {
		if code(it) != notControllerCode {
			return false
		}
	}
	return true
}
