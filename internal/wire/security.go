package wire

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"
)

// Security is how a Client secures its connections, as a Kafka client
// does on an SSL, SASL_PLAINTEXT or SASL_SSL listener: TLS first, then a
// SASL exchange (SaslHandshake v1, SaslAuthenticate v1) with one of
// franz-go's client mechanisms. The zero value is PLAINTEXT.
type Security struct {
	TLS  *tls.Config
	SASL sasl.Mechanism
}

// NewSecureClient is NewClient for a listener that needs sec.
func NewSecureClient(addr, clientID string, sec Security) *Client {
	c := NewClient(addr, clientID)
	c.sec = sec
	return c
}

// reauthMargin is how long before the server's session lifetime ends the
// client drops the connection and authenticates on a new one (KIP-368):
// the server would close it on the first request after the lifetime.
const reauthMargin = 0.85

// dial connects to the server and runs TLS and SASL; ctx bounds all of it.
func (c *Client) dial(ctx context.Context) (net.Conn, error) {
	conn, err := c.dialer.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	c.expires = time.Time{}
	if c.sec.TLS != nil {
		cfg := c.sec.TLS
		if cfg.ServerName == "" {
			cfg = cfg.Clone()
			cfg.ServerName, _, _ = net.SplitHostPort(c.addr)
		}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("wire: TLS with %s: %w", c.addr, err)
		}
		conn = tc
	}
	if c.sec.SASL != nil {
		if err := c.authenticate(ctx, conn); err != nil {
			conn.Close()
			return nil, fmt.Errorf("wire: SASL %s with %s: %w", c.sec.SASL.Name(), c.addr, err)
		}
	}
	return conn, nil
}

// authenticate runs the SASL exchange on a new connection.
func (c *Client) authenticate(ctx context.Context, conn net.Conn) error {
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Version, hs.Mechanism = 1, c.sec.SASL.Name()
	resp, err := c.roundTrip(conn, hs)
	if err != nil {
		return err
	}
	if hr := resp.(*kmsg.SASLHandshakeResponse); hr.ErrorCode != 0 {
		return fmt.Errorf("%w (the server offers %v)", kerr.ErrorForCode(hr.ErrorCode), hr.SupportedMechanisms)
	}
	host, _, _ := net.SplitHostPort(c.addr)
	session, tok, err := c.sec.SASL.Authenticate(ctx, host)
	if err != nil {
		return err
	}
	for finished := false; ; {
		req := kmsg.NewPtrSASLAuthenticateRequest()
		req.Version, req.SASLAuthBytes = 1, tok
		resp, err := c.roundTrip(conn, req)
		if err != nil {
			return err
		}
		ar := resp.(*kmsg.SASLAuthenticateResponse)
		if ar.ErrorCode != 0 {
			msg := ""
			if ar.ErrorMessage != nil {
				msg = ": " + *ar.ErrorMessage
			}
			return fmt.Errorf("%w%s", kerr.ErrorForCode(ar.ErrorCode), msg)
		}
		if ar.SessionLifetimeMillis > 0 {
			lifetime := time.Duration(float64(ar.SessionLifetimeMillis)*reauthMargin) * time.Millisecond
			c.expires = time.Now().Add(lifetime)
		}
		if finished {
			return nil // the last message of a finished session was answered
		}
		done, next, err := session.Challenge(ar.SASLAuthBytes)
		if err != nil {
			return err
		}
		if done && len(next) == 0 {
			return nil
		}
		finished, tok = done, next // done with a last message: send it, then stop
	}
}
