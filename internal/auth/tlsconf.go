package auth

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/pavlo-v-chernykh/keystore-go/v4"
	"software.sslmate.com/src/go-pkcs12"
)

// Getter reads one config of a listener (its listener-prefixed value, the
// plain one, or the default); ok is false when it has none.
type Getter func(name string) (value string, ok bool)

// ServerTLSConfig builds a listener's TLS configuration from Kafka's
// ssl.* configs: the key store (JKS, PKCS12, or PEM as a file or inline),
// the trust store for client certificates, ssl.client.auth, and the
// enabled protocols and cipher suites.
func ServerTLSConfig(get Getter) (*tls.Config, error) {
	cert, err := keyPair(get)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	if err := versions(get, cfg); err != nil {
		return nil, err
	}
	if cfg.ClientCAs, err = trustStore(get); err != nil {
		return nil, err
	}
	switch v, _ := get("ssl.client.auth"); v {
	case "required":
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	case "requested":
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	}
	if cfg.ClientAuth != tls.NoClientCert && cfg.ClientCAs == nil {
		return nil, errors.New("ssl.client.auth needs a trust store (ssl.truststore.location or ssl.truststore.certificates)")
	}
	return cfg, nil
}

// versions applies ssl.enabled.protocols, ssl.protocol and ssl.cipher.suites.
func versions(get Getter, cfg *tls.Config) error {
	cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS13, tls.VersionTLS12
	protos, _ := get("ssl.enabled.protocols")
	for _, p := range strings.Split(protos, ",") {
		v := map[string]uint16{"TLSv1.2": tls.VersionTLS12, "TLSv1.3": tls.VersionTLS13}[strings.TrimSpace(p)]
		if v == 0 {
			return fmt.Errorf("ssl.enabled.protocols: unsupported %q (TLSv1.2, TLSv1.3)", p)
		}
		cfg.MinVersion, cfg.MaxVersion = min(cfg.MinVersion, v), max(cfg.MaxVersion, v)
	}
	if p, _ := get("ssl.protocol"); p == "TLSv1.2" {
		cfg.MaxVersion = tls.VersionTLS12
	}
	suites, _ := get("ssl.cipher.suites")
	for _, name := range strings.Split(suites, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		id, ok := cipherSuite(name)
		if !ok {
			return fmt.Errorf("ssl.cipher.suites: unknown or insecure suite %q", name)
		}
		cfg.CipherSuites = append(cfg.CipherSuites, id)
	}
	return nil
}

func cipherSuite(name string) (uint16, bool) {
	for _, s := range tls.CipherSuites() {
		if s.Name == name {
			return s.ID, true
		}
	}
	return 0, false
}

// keyPair loads this broker's certificate chain and private key.
func keyPair(get Getter) (tls.Certificate, error) {
	typ, _ := get("ssl.keystore.type")
	loc, hasLoc := get("ssl.keystore.location")
	pass, _ := get("ssl.keystore.password")
	keyPass, hasKeyPass := get("ssl.key.password")
	if !hasKeyPass {
		keyPass = pass
	}
	if !hasLoc {
		chain, okc := get("ssl.keystore.certificate.chain")
		key, okk := get("ssl.keystore.key")
		if strings.ToUpper(typ) != "PEM" || !okc || !okk {
			return tls.Certificate{}, errors.New("an SSL listener needs ssl.keystore.location, or ssl.keystore.type=PEM with ssl.keystore.certificate.chain and ssl.keystore.key")
		}
		return pemKeyPair([]byte(chain), []byte(key), keyPass, "ssl.keystore.key")
	}
	data, err := os.ReadFile(loc)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("ssl.keystore.location: %w", err)
	}
	switch strings.ToUpper(typ) {
	case "PEM":
		return pemKeyPair(data, data, keyPass, "ssl.keystore.location")
	case "PKCS12":
		key, cert, cas, err := pkcs12.DecodeChain(data, pass)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("ssl.keystore.location %s (PKCS12): %w", loc, err)
		}
		c := tls.Certificate{PrivateKey: key, Leaf: cert, Certificate: [][]byte{cert.Raw}}
		for _, ca := range cas {
			c.Certificate = append(c.Certificate, ca.Raw)
		}
		return c, nil
	default: // JKS, Kafka's default
		return jksKeyPair(data, pass, keyPass, loc)
	}
}

// pemKeyPair reads a certificate chain and a private key in PEM; the key
// may be encrypted (PKCS#8 with a password is not in Go's library, so an
// encrypted key is refused with a clear message).
func pemKeyPair(chain, key []byte, _ string, what string) (tls.Certificate, error) {
	var certPEM, keyPEM []byte
	for rest := chain; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			certPEM = append(certPEM, pem.EncodeToMemory(b)...)
		}
	}
	for rest := key; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if strings.Contains(b.Type, "ENCRYPTED") {
			return tls.Certificate{}, fmt.Errorf("%s: encrypted PEM private keys are not supported; use PKCS12 or JKS, or an unencrypted key", what)
		}
		if strings.Contains(b.Type, "PRIVATE KEY") {
			keyPEM = pem.EncodeToMemory(b)
		}
	}
	if certPEM == nil || keyPEM == nil {
		return tls.Certificate{}, fmt.Errorf("%s: want a PEM certificate chain and a PEM private key", what)
	}
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%s: %w", what, err)
	}
	return c, nil
}

func jksKeyPair(data []byte, storePass, keyPass, loc string) (tls.Certificate, error) {
	ks := keystore.New()
	if err := ks.Load(bytes.NewReader(data), []byte(storePass)); err != nil {
		return tls.Certificate{}, fmt.Errorf("ssl.keystore.location %s (JKS): %w", loc, err)
	}
	for _, alias := range ks.Aliases() {
		if !ks.IsPrivateKeyEntry(alias) {
			continue
		}
		e, err := ks.GetPrivateKeyEntry(alias, []byte(keyPass))
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("ssl.keystore.location %s (JKS) key %q: %w (check ssl.key.password)", loc, alias, err)
		}
		key, err := x509.ParsePKCS8PrivateKey(e.PrivateKey)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("ssl.keystore.location %s (JKS) key %q: %w", loc, alias, err)
		}
		c := tls.Certificate{PrivateKey: key}
		for _, cert := range e.CertificateChain {
			c.Certificate = append(c.Certificate, cert.Content)
		}
		return c, nil
	}
	return tls.Certificate{}, fmt.Errorf("ssl.keystore.location %s (JKS): no private key entry", loc)
}

// trustStore loads the CAs client certificates are verified against; nil
// without one.
func trustStore(get Getter) (*x509.CertPool, error) {
	typ, _ := get("ssl.truststore.type")
	loc, hasLoc := get("ssl.truststore.location")
	pass, _ := get("ssl.truststore.password")
	var certs []*x509.Certificate
	switch {
	case !hasLoc:
		inline, ok := get("ssl.truststore.certificates")
		if !ok {
			return nil, nil
		}
		return pemPool([]byte(inline), "ssl.truststore.certificates")
	case strings.ToUpper(typ) == "PEM":
		data, err := os.ReadFile(loc)
		if err != nil {
			return nil, fmt.Errorf("ssl.truststore.location: %w", err)
		}
		return pemPool(data, "ssl.truststore.location")
	case strings.ToUpper(typ) == "PKCS12":
		data, err := os.ReadFile(loc)
		if err != nil {
			return nil, fmt.Errorf("ssl.truststore.location: %w", err)
		}
		if certs, err = pkcs12.DecodeTrustStore(data, pass); err != nil {
			return nil, fmt.Errorf("ssl.truststore.location %s (PKCS12): %w", loc, err)
		}
	default:
		data, err := os.ReadFile(loc)
		if err != nil {
			return nil, fmt.Errorf("ssl.truststore.location: %w", err)
		}
		ks := keystore.New()
		if err := ks.Load(bytes.NewReader(data), []byte(pass)); err != nil {
			return nil, fmt.Errorf("ssl.truststore.location %s (JKS): %w", loc, err)
		}
		for _, alias := range ks.Aliases() {
			if e, err := ks.GetTrustedCertificateEntry(alias); err == nil {
				c, err := x509.ParseCertificate(e.Certificate.Content)
				if err != nil {
					return nil, fmt.Errorf("ssl.truststore.location %s (JKS) %q: %w", loc, alias, err)
				}
				certs = append(certs, c)
			}
		}
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

func pemPool(data []byte, what string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s: no PEM certificate in it", what)
	}
	return pool, nil
}
