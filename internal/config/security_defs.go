package config

import (
	"fmt"
	"strings"
)

// securityDefs are the TLS, SASL and authorizer configs (Kafka 4.1 names
// and defaults, except sasl.enabled.mechanisms: Kafka's GSSAPI is not
// offered). PerListener ones may also be set for one listener as
// listener.name.<listener>.<name>, which wins over the plain name.
var securityDefs = []Def{
	// TLS.
	{Name: "ssl.keystore.type", Type: TypeString, Default: "JKS", Valid: oneOf("JKS", "PKCS12", "PEM"), PerListener: true, NoLive: true, Scope: PerBroker,
		Doc: "Format of the key store: JKS, PKCS12, or PEM (ssl.keystore.location names a PEM file, or ssl.keystore.certificate.chain and ssl.keystore.key hold PEM text)."},
	{Name: "ssl.keystore.location", Type: TypeString, NoDef: true, PerListener: true, NoLive: true, Scope: PerBroker,
		Doc: "Path of the key store holding this broker's certificate and private key."},
	{Name: "ssl.keystore.password", Type: TypePassword, NoDef: true, PerListener: true, NoLive: true, Scope: PerBroker,
		Doc: "Password of the key store (JKS, PKCS12); for PEM, of an encrypted private key."},
	{Name: "ssl.key.password", Type: TypePassword, NoDef: true, PerListener: true, NoLive: true, Scope: PerBroker,
		Doc: "Password of the private key in the key store, when it differs from the store's."},
	{Name: "ssl.keystore.certificate.chain", Type: TypePassword, NoDef: true, PerListener: true, NoLive: true, Scope: PerBroker,
		Doc: "The certificate chain in PEM, with ssl.keystore.type=PEM and no ssl.keystore.location."},
	{Name: "ssl.keystore.key", Type: TypePassword, NoDef: true, PerListener: true, NoLive: true, Scope: PerBroker,
		Doc: "The private key in PEM (PKCS#8), with ssl.keystore.type=PEM and no ssl.keystore.location."},
	{Name: "ssl.truststore.type", Type: TypeString, Default: "JKS", Valid: oneOf("JKS", "PKCS12", "PEM"), PerListener: true, NoLive: true, Scope: PerBroker,
		Doc: "Format of the trust store."},
	{Name: "ssl.truststore.location", Type: TypeString, NoDef: true, PerListener: true, NoLive: true, Scope: PerBroker,
		Doc: "Path of the trust store: the certificate authorities client certificates are checked against."},
	{Name: "ssl.truststore.password", Type: TypePassword, NoDef: true, PerListener: true, NoLive: true, Scope: PerBroker,
		Doc: "Password of the trust store."},
	{Name: "ssl.truststore.certificates", Type: TypePassword, NoDef: true, PerListener: true, NoLive: true, Scope: PerBroker,
		Doc: "Trusted certificates in PEM, with ssl.truststore.type=PEM and no ssl.truststore.location."},
	{Name: "ssl.client.auth", Type: TypeString, Default: "none", Valid: oneOf("none", "requested", "required"), PerListener: true, NoLive: true, Scope: PerBroker,
		Doc: "Whether SSL clients must (required), may (requested) or need not (none) present a certificate."},
	{Name: "ssl.enabled.protocols", Type: TypeList, Default: "TLSv1.2,TLSv1.3", Valid: listOf("TLSv1.2", "TLSv1.3"), PerListener: true, NoLive: true, Scope: PerBroker,
		Doc: "TLS versions accepted."},
	{Name: "ssl.protocol", Type: TypeString, Default: "TLSv1.3", Valid: oneOf("TLSv1.2", "TLSv1.3", "TLS"), PerListener: true, NoLive: true, Scope: PerBroker,
		Doc: "Highest TLS version offered."},
	{Name: "ssl.cipher.suites", Type: TypeList, Default: "", PerListener: true, NoLive: true, Scope: PerBroker,
		Doc: "TLS 1.2 cipher suites allowed (Go names, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256); empty means Go's secure defaults. TLS 1.3 suites are not configurable."},
	{Name: "ssl.endpoint.identification.algorithm", Type: TypeString, Default: "https", PerListener: true, NoLive: true, Scope: PerBroker,
		Doc: "https: a broker connecting to another checks the host name in its certificate; empty: it does not."},
	{Name: "ssl.principal.mapping.rules", Type: TypeString, Default: "DEFAULT", PerListener: true, NoLive: true, Scope: PerBroker,
		Doc: "Rules mapping a client certificate's subject to a principal name (RULE:pattern/replacement/[LU], ..., DEFAULT)."},

	// SASL.
	{Name: "sasl.enabled.mechanisms", Type: TypeList, Default: "SCRAM-SHA-256,SCRAM-SHA-512", Valid: listOf("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"), PerListener: true, NoLive: true, Scope: PerBroker,
		Doc: "SASL mechanisms offered on SASL listeners. Kafka's default is GSSAPI, which Strom does not offer."},
	{Name: "sasl.jaas.config", Type: TypePassword, NoDef: true, PerListener: true, NoLive: true, Scope: PerBroker,
		Doc: "JAAS login configuration. For PLAIN, Kafka's PlainLoginModule with user_<name>=\"<password>\" options lists the users; usually set per listener and mechanism as listener.name.<listener>.plain.sasl.jaas.config."},
	{Name: "sasl.mechanism.inter.broker.protocol", Type: TypeString, Default: "GSSAPI", NoLive: true, Scope: PerBroker,
		Doc: "SASL mechanism brokers authenticate with on a SASL inter-broker listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512), with the username and password of that listener's JAAS config. Kafka's default GSSAPI is not offered: set it when the inter-broker listener uses SASL."},
	{Name: "sasl.mechanism.controller.protocol", Type: TypeString, Default: "GSSAPI", NoLive: true, Scope: PerBroker,
		Doc: "SASL mechanism for a SASL controller listener. Not offered yet: the metadata quorum shares that listener, so it may be PLAINTEXT or SSL (use ssl.client.auth=required)."},
	{Name: "sasl.server.max.receive.size", Type: TypeInt, Default: "524288", Valid: atLeast(1),
		Doc: "Largest request accepted from a client before it has authenticated."},
	{Name: "connections.max.reauth.ms", Type: TypeLong, Default: "0", Valid: atLeast(0), PerListener: true, NoLive: true, Scope: PerBroker,
		Doc: "When positive, a SASL session lasts at most this long: the client must re-authenticate on the same connection (KIP-368) or it is closed."},

	// Authorization.
	{Name: "authorizer.class.name", Type: TypeString, Default: "", Valid: oneOf("", standardAuthorizer),
		Doc: "Set to " + standardAuthorizer + " to enforce ACLs (kept in the metadata log); empty: every request is allowed."},
	{Name: "super.users", Type: TypeString, NoDef: true,
		Doc: "Semicolon-separated principals (User:admin;User:broker) allowed everything, whatever the ACLs say."},
	{Name: "allow.everyone.if.no.acl.found", Type: TypeBoolean, Default: "false",
		Doc: "With the authorizer on: allow a request on a resource that no ACL matches (deny when false)."},
}

// standardAuthorizer is Kafka's KRaft authorizer class, which Strom's
// authorizer stands in for.
const standardAuthorizer = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"

// saslMechanismPrefixes are the mechanisms a JAAS config may be prefixed
// with (listener.name.<listener>.<mechanism>.sasl.jaas.config).
var saslMechanismPrefixes = []string{"plain", "scram-sha-256", "scram-sha-512"}

// lookupDef finds the definition of a config name, including Kafka's
// listener-prefixed forms.
func lookupDef(name string) (*Def, error) {
	if d, ok := BrokerDefs[name]; ok {
		return d, nil
	}
	rest, ok := strings.CutPrefix(name, "listener.name.")
	if !ok {
		return nil, fmt.Errorf("config: unknown configuration %q", name)
	}
	listener, base, ok := strings.Cut(rest, ".")
	if !ok || listener == "" {
		return nil, fmt.Errorf("config: %q: want listener.name.<listener>.<config>", name)
	}
	for _, m := range saslMechanismPrefixes {
		if base == m+".sasl.jaas.config" {
			return BrokerDefs["sasl.jaas.config"], nil
		}
	}
	if d, ok := BrokerDefs[base]; ok && d.PerListener {
		return d, nil
	}
	return nil, fmt.Errorf("config: unknown configuration %q (%s cannot be set per listener)", name, base)
}

// ListenerValue is a config for one listener: the listener-prefixed value
// if set, else the plain one, else the default; ok is false when there is
// no value at all.
func (b *Broker) ListenerValue(listener, name string) (string, bool) {
	if v, ok := b.set["listener.name."+strings.ToLower(listener)+"."+name]; ok {
		return strings.TrimSpace(v), true
	}
	if v, ok := b.set[name]; ok {
		return strings.TrimSpace(v), true
	}
	if d, ok := BrokerDefs[name]; ok && !d.NoDef {
		return d.Default, true
	}
	return "", false
}

// JAASConfig is the sasl.jaas.config for a listener and mechanism, as
// Kafka resolves it: listener and mechanism prefixed, then listener
// prefixed, then the plain name.
func (b *Broker) JAASConfig(listener, mechanism string) (string, bool) {
	if v, ok := b.set["listener.name."+strings.ToLower(listener)+"."+strings.ToLower(mechanism)+".sasl.jaas.config"]; ok {
		return strings.TrimSpace(v), true
	}
	return b.ListenerValue(listener, "sasl.jaas.config")
}
