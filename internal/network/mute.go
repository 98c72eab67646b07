package network

import (
	"bufio"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Muting (KIP-219). A response whose throttle_time_ms is above zero (a
// client quota was exceeded, internal/quota) is sent at once, and then
// the connection reads no further request until the throttle time has
// passed, as Kafka mutes the channel. Only this connection's goroutine
// waits: other connections are never held up. Responses already queued
// behind a Pending still go out while muted; requests a pipelining client
// already sent stay unread in the socket buffer until the mute ends.

// noteThrottle extends the mute by resp's throttle time, if it has one.
// Call it before the response is written (writing may release it).
func (c *conn) noteThrottle(resp kmsg.Response) {
	tr, ok := resp.(kmsg.ThrottleResponse)
	if !ok {
		return
	}
	// Before KIP-219 (the bool) Kafka held the response back instead;
	// muting after sending slows such a client down just as much.
	ms, _ := tr.Throttle()
	if ms <= 0 {
		return
	}
	if until := time.Now().Add(time.Duration(ms) * time.Millisecond); until.After(c.mutedUntil) {
		c.mutedUntil = until
	}
}

// waitMuted returns once the connection may read its next request: at
// once when it is not muted, else when the mute ends. Meanwhile it flushes
// what is written and keeps writing queued responses as they complete.
func (c *conn) waitMuted(bw *bufio.Writer, queue []queued) ([]queued, error) {
	left := time.Until(c.mutedUntil)
	if left <= 0 {
		return queue, nil
	}
	timer := time.NewTimer(left)
	defer timer.Stop()
	for {
		var err error
		if queue, err = c.writeReady(bw, queue, false); err != nil {
			return nil, err
		}
		if err := bw.Flush(); err != nil {
			return nil, err
		}
		var next <-chan struct{} // nil (never ready) when nothing is pending
		if len(queue) > 0 {
			next = queue[0].pending.Done()
		}
		select {
		case <-timer.C:
			return queue, nil
		case <-next:
		case <-c.ctx.Done():
			return nil, c.ctx.Err()
		}
	}
}
