package network

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/wire"
)

// Security of one listener: TLS (SSL, SASL_SSL) and SASL authentication
// (SASL_PLAINTEXT, SASL_SSL), Kafka's SaslServerAuthenticator semantics.
//
// Until a SASL client has authenticated, only ApiVersions, SaslHandshake
// and SaslAuthenticate are served and requests are capped at
// sasl.server.max.receive.size; anything else closes the connection, as
// does a failed authentication (after its error response). SaslHandshake
// v0 switches to Kafka's original framing, raw size-prefixed SASL tokens
// with no request header, for the rest of the exchange.

// SASL configures authentication on a listener.
type SASL struct {
	// Mechanisms are the mechanism names offered, in order.
	Mechanisms []string
	// NewSession starts the server side of an exchange for one of
	// Mechanisms.
	NewSession func(mechanism string) SASLSession
	// MaxReceive caps each request (or raw token) before authentication
	// (sasl.server.max.receive.size).
	MaxReceive int32
	// SessionLifetime, when positive, is connections.max.reauth.ms: the
	// client must re-authenticate within it (KIP-368).
	SessionLifetime time.Duration
}

// SASLSession is the server side of one SASL exchange.
type SASLSession interface {
	// Step takes the client's next message and returns the reply; done
	// once the client is authenticated. An error fails authentication;
	// its text is sent to the client.
	Step(clientMsg []byte) (reply []byte, done bool, err error)
	// User is the authenticated user name, once done.
	User() string
}

// CertPrincipal maps a verified client certificate to a principal.
type CertPrincipal func(*x509.Certificate) (string, error)

// Kafka API keys the authentication exchange uses.
const (
	saslHandshakeKey    = 17
	saslAuthenticateKey = 36
)

// saslState is a connection's progress through authentication.
type saslState struct {
	session   SASLSession
	mechanism string
	raw       bool      // SaslHandshake v0: raw tokens follow
	user      string    // authenticated user; "" before
	expires   time.Time // zero: the session does not expire
}

// startTLS completes the TLS handshake of an SSL or SASL_SSL connection
// and takes the principal from a client certificate, if one was given.
func (c *conn) startTLS(tc *tls.Conn) error {
	if c.srv.opts.IdleTimeout > 0 {
		tc.SetDeadline(time.Now().Add(c.srv.opts.IdleTimeout))
	}
	if err := tc.HandshakeContext(c.ctx); err != nil {
		return fmt.Errorf("TLS handshake: %w", err)
	}
	tc.SetDeadline(time.Time{})
	certs := tc.ConnectionState().PeerCertificates
	if len(certs) == 0 || c.lo.CertPrincipal == nil {
		return nil
	}
	p, err := c.lo.CertPrincipal(certs[0])
	if err != nil {
		return fmt.Errorf("client certificate: %w", err)
	}
	c.info.Principal = p
	return nil
}

// authenticated reports whether requests other than the exchange's may be
// served: always without SASL, else once a session is live.
func (c *conn) authenticated(now time.Time) bool {
	if c.lo.SASL == nil {
		return true
	}
	return c.sasl.user != "" && (c.sasl.expires.IsZero() || now.Before(c.sasl.expires))
}

// maxRequest is the frame cap for the next request.
func (c *conn) maxRequest() int32 {
	if c.lo.SASL != nil && c.sasl.user == "" {
		return min(c.srv.opts.MaxRequestBytes, c.lo.SASL.MaxReceive)
	}
	return c.srv.opts.MaxRequestBytes
}

// admitRequest refuses, before its body is decoded, a request that a SASL
// connection may not send yet: the error closes the connection.
func (c *conn) admitRequest(key int16) error {
	if c.lo.SASL == nil || key == saslHandshakeKey || key == saslAuthenticateKey || key == apiVersionsKey {
		return nil
	}
	if c.authenticated(time.Now()) {
		return nil
	}
	if c.sasl.user != "" {
		return errors.New("SASL session expired without re-authentication")
	}
	return fmt.Errorf("unexpected %s request before SASL authentication", kmsg.NameForKey(key))
}

// exchange answers SaslHandshake and SaslAuthenticate on a SASL listener
// (handled); elsewhere the API handlers answer them.
func (c *conn) exchange(h wire.Header, req kmsg.Request) (resp kmsg.Response, handled bool) {
	if c.lo.SASL == nil {
		return nil, false
	}
	switch h.Key {
	case saslHandshakeKey:
		return c.saslHandshake(req.(*kmsg.SASLHandshakeRequest)), true
	case saslAuthenticateKey:
		return c.saslAuthenticate(req.(*kmsg.SASLAuthenticateRequest)), true
	}
	return nil, false
}

func (c *conn) saslHandshake(req *kmsg.SASLHandshakeRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.SASLHandshakeResponse)
	resp.SupportedMechanisms = slices.Clone(c.lo.SASL.Mechanisms)
	switch {
	case c.sasl.session != nil, c.sasl.user != "" && c.lo.SASL.SessionLifetime <= 0:
		// Mid-exchange, or re-authentication that is not enabled.
		resp.ErrorCode = kerr.IllegalSaslState.Code
	case !slices.Contains(c.lo.SASL.Mechanisms, req.Mechanism):
		resp.ErrorCode = kerr.UnsupportedSaslMechanism.Code
	default:
		c.sasl.session, c.sasl.mechanism = c.lo.SASL.NewSession(req.Mechanism), req.Mechanism
		c.sasl.raw = req.Version == 0
	}
	return resp
}

// saslAuthenticate runs one step of the exchange. A failure is answered
// and then closes the connection, as Kafka does.
func (c *conn) saslAuthenticate(req *kmsg.SASLAuthenticateRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.SASLAuthenticateResponse)
	if c.sasl.session == nil || c.sasl.raw {
		resp.ErrorCode = kerr.IllegalSaslState.Code
		return &closeAfter{resp}
	}
	reply, err := c.saslStep(req.SASLAuthBytes)
	if err != nil {
		resp.ErrorCode = kerr.SaslAuthenticationFailed.Code
		msg := err.Error()
		resp.ErrorMessage = &msg
		return &closeAfter{resp}
	}
	resp.SASLAuthBytes = reply
	if c.sasl.session == nil && !c.sasl.expires.IsZero() && req.Version >= 1 {
		resp.SessionLifetimeMillis = time.Until(c.sasl.expires).Milliseconds()
	}
	return resp
}

// saslStep feeds a client message to the session; once it is done, the
// connection's principal is the user (a re-authentication must keep it).
func (c *conn) saslStep(msg []byte) ([]byte, error) {
	reply, done, err := c.sasl.session.Step(msg)
	if err != nil {
		c.srv.opts.Logger.Info("SASL authentication failed", "remote", c.nc.RemoteAddr(), "mechanism", c.sasl.mechanism, "err", err)
		return nil, err
	}
	if !done {
		return reply, nil
	}
	user := c.sasl.session.User()
	if c.sasl.user != "" && user != c.sasl.user {
		return nil, errors.New("cannot change principals during re-authentication")
	}
	c.sasl.session, c.sasl.raw, c.sasl.user = nil, false, user
	c.info.Principal = "User:" + user
	if l := c.lo.SASL.SessionLifetime; l > 0 {
		c.sasl.expires = time.Now().Add(l)
	}
	return reply, nil
}

// closeAfter is a response after which the connection is closed.
type closeAfter struct{ kmsg.Response }

// errAuthFailed closes a connection once its failure response is sent.
var errAuthFailed = errors.New("closing the connection after a failed SASL exchange")

// finish writes the response and returns the error that closes the
// connection.
func (ca *closeAfter) finish(bw *bufio.Writer, h wire.Header) error {
	if err := writeResponse(bw, h, ca.Response); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return errAuthFailed
}

// rawExchange serves SaslHandshake v0's framing: size-prefixed tokens
// without request headers, until the session is done.
func (c *conn) rawExchange(br *bufio.Reader, bw *bufio.Writer) error {
	for c.sasl.raw {
		token, err := readToken(br, c.lo.SASL.MaxReceive)
		if err != nil {
			return err
		}
		reply, err := c.saslStep(token)
		if err != nil {
			return fmt.Errorf("SASL authentication failed: %w", err)
		}
		var size [4]byte
		binary.BigEndian.PutUint32(size[:], uint32(len(reply)))
		bw.Write(size[:])
		bw.Write(reply)
		if err := bw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// readToken reads one raw SASL token, refusing sizes beyond max before
// allocating.
func readToken(r io.Reader, max int32) ([]byte, error) {
	var size [4]byte
	if _, err := io.ReadFull(r, size[:]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(size[:]))
	if n < 0 || n > max {
		return nil, fmt.Errorf("%w: SASL token of %d bytes", wire.ErrFrameTooLarge, n)
	}
	b := make([]byte, n)
	_, err := io.ReadFull(r, b)
	return b, err
}
