package wire

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// maxResponseBytes caps a response frame read by Client before allocating.
// Replica fetches are bounded by replica.fetch.response.max.bytes (10 MiB by
// default); controller RPCs are small.
const maxResponseBytes = 256 << 20

// ErrClientClosed is returned by Do after Close.
var ErrClientClosed = errors.New("wire: client closed")

// Client is one connection from this broker to another Kafka-protocol
// endpoint: a leader's listener for replica fetches, the active
// controller's CONTROLLER listener for broker-to-controller requests.
//
// It sends one request at a time and pins nothing: the caller sets each
// request's version (brokers of one Strom build speak the same versions, so
// no ApiVersions round trip is needed). A failed request closes the
// connection; the next Do dials again. Safe for concurrent use; requests
// are serialised.
type Client struct {
	addr     string
	clientID string
	dialer   net.Dialer

	mu   sync.Mutex
	conn net.Conn
	sec  Security
	// expires: the SASL session's lifetime ends then (KIP-368); the next
	// request dials anew. Zero: no limit.
	expires time.Time
	corr    int32
	fmt     *kmsg.RequestFormatter
	buf     []byte
	closed  bool
}

// NewClient returns a client for addr (host:port); it dials lazily.
func NewClient(addr, clientID string) *Client {
	return &Client{
		addr: addr, clientID: clientID,
		dialer: net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second},
		fmt:    kmsg.NewRequestFormatter(kmsg.FormatterClientID(clientID)),
	}
}

// Addr is the address this client talks to.
func (c *Client) Addr() string { return c.addr }

// Do sends req and returns its response. ctx bounds the whole exchange:
// when it ends the connection is closed, so the request may or may not
// have been processed.
func (c *Client) Do(ctx context.Context, req kmsg.Request) (kmsg.Response, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClientClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if c.conn != nil && !c.expires.IsZero() && time.Now().After(c.expires) {
		c.conn.Close() // re-authenticate on a fresh connection
		c.conn = nil
	}
	if c.conn == nil {
		conn, err := c.dial(ctx)
		if err != nil {
			return nil, err
		}
		c.conn = conn
	}
	conn := c.conn
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	resp, err := c.roundTrip(conn, req)
	stopped := stop()
	if err != nil {
		conn.Close()
		c.conn = nil
		if !stopped || ctx.Err() != nil {
			return nil, errors.Join(ctx.Err(), err)
		}
		return nil, err
	}
	return resp, nil
}

func (c *Client) roundTrip(conn net.Conn, req kmsg.Request) (kmsg.Response, error) {
	c.corr++
	corr := c.corr
	c.buf = c.fmt.AppendRequest(c.buf[:0], req, corr)
	if _, err := conn.Write(c.buf); err != nil {
		return nil, err
	}
	var sz [4]byte
	if _, err := io.ReadFull(conn, sz[:]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(sz[:]))
	if n < 4 || n > maxResponseBytes {
		return nil, fmt.Errorf("wire: response size %d from %s out of range", n, c.addr)
	}
	frame := make([]byte, n)
	if _, err := io.ReadFull(conn, frame); err != nil {
		return nil, err
	}
	if got := int32(binary.BigEndian.Uint32(frame)); got != corr {
		return nil, fmt.Errorf("wire: response correlation id %d from %s, want %d", got, c.addr, corr)
	}
	body := frame[4:]
	if req.IsFlexible() && req.Key() != 18 { // ApiVersions responses keep header v0
		r := kbin.Reader{Src: body}
		kmsg.SkipTags(&r)
		if err := r.Complete(); err != nil {
			return nil, fmt.Errorf("wire: bad response header tags from %s: %w", c.addr, err)
		}
		body = r.Src
	}
	resp := req.ResponseKind()
	resp.SetVersion(req.GetVersion())
	if err := decodeSafely(resp, body); err != nil {
		return nil, fmt.Errorf("wire: decoding %s response from %s: %w", kmsg.NameForKey(req.Key()), c.addr, err)
	}
	return resp, nil
}

// Close closes the connection; later Do calls fail with ErrClientClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.conn != nil {
		err := c.conn.Close()
		c.conn = nil
		return err
	}
	return nil
}
