package broker

import (
	"fmt"
	"net"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/api"
	"github.com/strom-project/strom/internal/auth"
	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/network"
	"github.com/strom-project/strom/internal/wire"
)

// listenOptions is the security of one client listener, from its
// protocol in listener.security.protocol.map: TLS for SSL and SASL_SSL,
// SASL for SASL_PLAINTEXT and SASL_SSL, with the listener-prefixed
// configs winning over the plain ones, as in Kafka.
func (b *Broker) listenOptions(l config.Listener) (network.ListenOptions, error) {
	var lo network.ListenOptions
	get := func(name string) (string, bool) { return b.cfg.ListenerValue(l.Name, name) }
	switch l.SecurityProtocol {
	case "PLAINTEXT":
		return lo, nil
	case "SSL", "SASL_SSL":
		tc, err := auth.ServerTLSConfig(get)
		if err != nil {
			return lo, fmt.Errorf("listener %s: %w", l.Name, err)
		}
		rulesText, _ := get("ssl.principal.mapping.rules")
		rules, err := auth.ParsePrincipalRules(rulesText)
		if err != nil {
			return lo, fmt.Errorf("listener %s: %w", l.Name, err)
		}
		lo.TLS, lo.CertPrincipal = tc, rules.CertPrincipal
	case "SASL_PLAINTEXT":
	default:
		return lo, fmt.Errorf("listener %s: unknown security protocol %q", l.Name, l.SecurityProtocol)
	}
	if strings.HasPrefix(l.SecurityProtocol, "SASL_") {
		sasl, err := b.saslFor(l.Name, get)
		if err != nil {
			return lo, fmt.Errorf("listener %s: %w", l.Name, err)
		}
		lo.SASL = sasl
	}
	return lo, nil
}

// saslFor builds a SASL listener's mechanisms: PLAIN users from its JAAS
// config, SCRAM credentials from the metadata log (read at each exchange,
// so users added with AlterUserScramCredentials work at once).
func (b *Broker) saslFor(listener string, get func(string) (string, bool)) (*network.SASL, error) {
	names, _ := get("sasl.enabled.mechanisms")
	mechs := map[string]auth.Mechanism{}
	var offered []string
	for _, name := range strings.Split(names, ",") {
		name = strings.ToUpper(strings.TrimSpace(name))
		if name == "" || mechs[name] != nil {
			continue
		}
		m, err := b.mechanism(listener, name)
		if err != nil {
			return nil, err
		}
		mechs[name] = m
		offered = append(offered, name)
	}
	if len(offered) == 0 {
		return nil, fmt.Errorf("sasl.enabled.mechanisms is empty")
	}
	reauth, _ := get("connections.max.reauth.ms")
	var lifetime int64
	fmt.Sscan(reauth, &lifetime)
	return &network.SASL{
		Mechanisms:      offered,
		NewSession:      func(m string) network.SASLSession { return mechs[m].NewSession() },
		MaxReceive:      int32(b.cfg.Int("sasl.server.max.receive.size")),
		SessionLifetime: ms(lifetime),
	}, nil
}

func (b *Broker) mechanism(listener, name string) (auth.Mechanism, error) {
	switch name {
	case "PLAIN":
		text, ok := b.cfg.JAASConfig(listener, name)
		if !ok {
			return nil, fmt.Errorf("PLAIN needs a JAAS config with its users: listener.name.%s.plain.sasl.jaas.config", strings.ToLower(listener))
		}
		j, err := auth.ParseJAAS(text)
		if err != nil {
			return nil, err
		}
		users, err := auth.PlainUsersFromJAAS(j)
		if err != nil {
			return nil, err
		}
		return auth.NewPlain(users), nil
	case "SCRAM-SHA-256", "SCRAM-SHA-512":
		mech := metadata.ScramSHA256
		if name == "SCRAM-SHA-512" {
			mech = metadata.ScramSHA512
		}
		ctrl := b.ctrl
		return auth.NewScram(name, func(user string) (metadata.ScramCredential, bool) {
			c, ok := ctrl.Image().ScramCredentials[metadata.ScramKey{User: user, Mechanism: mech}]
			return c, ok
		})
	}
	return nil, fmt.Errorf("SASL mechanism %s is not supported (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)", name)
}

// internalSecurity works out how this node dials the others, as Kafka
// does: the inter-broker listener (replication, transaction markers) with
// TLS from its ssl.* configs and SASL with sasl.mechanism.inter.broker.protocol
// and the username/password of its JAAS config; the CONTROLLER listener
// (broker-to-controller requests, the metadata quorum) likewise, except
// that it takes TLS only: the raft transport shares it and authenticates
// no SASL. Mistakes stop the node at start with the config named.
func (b *Broker) internalSecurity() error {
	var err error
	if b.cfg.IsBroker() && b.cfg.InterBrokerListener != "" {
		if b.interSec, err = b.clientSecurity(b.cfg.InterBrokerListener, "sasl.mechanism.inter.broker.protocol"); err != nil {
			return err
		}
	}
	if len(b.cfg.ControllerListenerNames) == 0 {
		return nil
	}
	l := b.cfg.ControllerListenerNames[0]
	if proto, err := b.cfg.SecurityProtocol(l); err != nil {
		return err
	} else if strings.HasPrefix(proto, "SASL_") {
		return fmt.Errorf("controller listener %s is %s: the metadata quorum shares it and supports PLAINTEXT or SSL "+
			"(authenticate controllers and brokers with certificates: ssl.client.auth=required)", l, proto)
	}
	b.ctrlSec, err = b.clientSecurity(l, "sasl.mechanism.controller.protocol")
	return err
}

// clientSecurity is how this node connects to listener on other nodes.
func (b *Broker) clientSecurity(listener, mechanismConfig string) (wire.Security, error) {
	var sec wire.Security
	proto, err := b.cfg.SecurityProtocol(listener)
	if err != nil {
		return sec, err
	}
	get := func(name string) (string, bool) { return b.cfg.ListenerValue(listener, name) }
	if proto == "SSL" || proto == "SASL_SSL" {
		if sec.TLS, err = auth.ClientTLSConfig(get); err != nil {
			return sec, fmt.Errorf("connecting to listener %s: %w", listener, err)
		}
	}
	if strings.HasPrefix(proto, "SASL_") {
		mech := strings.ToUpper(b.cfg.Get(mechanismConfig))
		switch mech {
		case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		default:
			return sec, fmt.Errorf("listener %s (%s) is used between nodes, and %s is %s, which Strom does not offer: set it to PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512",
				listener, proto, mechanismConfig, mech)
		}
		text, ok := b.cfg.JAASConfig(listener, mech)
		if !ok {
			return sec, fmt.Errorf("listener %s (%s) is used between nodes: %s=%s needs listener.name.%s.%s.sasl.jaas.config with this broker's username and password",
				listener, proto, mechanismConfig, mech, strings.ToLower(listener), strings.ToLower(mech))
		}
		j, err := auth.ParseJAAS(text)
		if err != nil {
			return sec, err
		}
		if sec.SASL, err = auth.ClientSASL(mech, j); err != nil {
			return sec, fmt.Errorf("listener %s, %s: %w", listener, mechanismConfig, err)
		}
	}
	return sec, nil
}

// newAuthorizer is the ACL authorizer when authorizer.class.name asks for
// one, kept current with the metadata log's ACLs; nil otherwise.
func (b *Broker) newAuthorizer() api.Authorizer {
	if b.cfg.Get("authorizer.class.name") == "" {
		return nil
	}
	a := auth.NewAuthorizer(auth.AuthorizerConfig{
		SuperUsers:           auth.ParseSuperUsers(b.cfg.Get("super.users")),
		AllowEveryoneIfNoACL: b.cfg.Bool("allow.everyone.if.no.acl.found"),
	})
	a.Apply(b.ctrl.Image().ACLs)
	b.ctrl.Subscribe(func(_, next *metadata.Image) { a.Apply(next.ACLs) })
	return connAuthorizer{a}
}

// connAuthorizer asks the authorizer about a connection's principal and
// host.
type connAuthorizer struct{ a *auth.Authorizer }

func (c connAuthorizer) Authorize(conn *wire.Conn, op kmsg.ACLOperation, rt kmsg.ACLResourceType, name string) bool {
	return c.a.Authorize(conn.Principal, host(conn.RemoteAddr), op, rt, name)
}

func (c connAuthorizer) AuthorizeAny(conn *wire.Conn, op kmsg.ACLOperation, rt kmsg.ACLResourceType) bool {
	return c.a.AuthorizeAny(conn.Principal, host(conn.RemoteAddr), op, rt)
}

func host(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.IP.String()
	}
	if a == nil {
		return ""
	}
	h, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return h
}
