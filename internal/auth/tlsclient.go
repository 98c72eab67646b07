package auth

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
)

// ClientTLSConfig is how this broker connects, as a client, to another
// node's TLS listener (replication, transaction markers, the controller,
// the metadata quorum), from that listener's ssl.* configs as Kafka reads
// them: the trust store verifies the server (the system's CAs without
// one), the key store is the client certificate when the server asks for
// one, and ssl.endpoint.identification.algorithm=https (the default)
// checks the host name; empty checks only the chain.
func ClientTLSConfig(get Getter) (*tls.Config, error) {
	cfg := &tls.Config{}
	if err := versions(get, cfg); err != nil {
		return nil, err
	}
	var err error
	if cfg.RootCAs, err = trustStore(get); err != nil {
		return nil, err
	}
	if cert, err := keyPair(get); err == nil {
		cfg.Certificates = []tls.Certificate{cert}
	} else if v, _ := get("ssl.client.auth"); v == "required" {
		return nil, fmt.Errorf("the listener requires client certificates, and this node has none to present: %w", err)
	}
	if v, _ := get("ssl.endpoint.identification.algorithm"); v == "" {
		roots := cfg.RootCAs
		cfg.InsecureSkipVerify = true // the chain is still verified below
		cfg.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			return verifyChain(raw, roots)
		}
	}
	return cfg, nil
}

// verifyChain checks a server's chain against roots without its names.
func verifyChain(raw [][]byte, roots *x509.CertPool) error {
	if len(raw) == 0 {
		return errors.New("tls: the server sent no certificate")
	}
	certs := make([]*x509.Certificate, len(raw))
	for i, b := range raw {
		c, err := x509.ParseCertificate(b)
		if err != nil {
			return fmt.Errorf("tls: the server's certificate %d: %w", i, err)
		}
		certs[i] = c
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	return err
}
