package testutil

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// PKI is a throwaway certificate authority with a server certificate for
// localhost / 127.0.0.1 and a client certificate for CN=carol, made per
// test, as PEM text and as files in a temporary directory.
type PKI struct {
	CA *x509.Certificate
	// PEM text.
	CAPEM, ServerChainPEM, ServerKeyPEM, ClientCertPEM, ClientKeyPEM string
	// Files holding the same.
	CAFile, ServerFile, ClientCertFile, ClientKeyFile string // ServerFile: chain and key
	Client                                            tls.Certificate
}

// NewPKI makes the certificates and writes the files.
func NewPKI(t testing.TB) *PKI {
	t.Helper()
	now := time.Now()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	sign := func(tmpl, parent *x509.Certificate, k, pk *ecdsa.PrivateKey) *x509.Certificate {
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &k.PublicKey, pk)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	caKey, srvKey, cliKey := newKey(), newKey(), newKey()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "strom test CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}
	ca := sign(caTmpl, caTmpl, caKey, caKey)
	srv := sign(&x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}, ca, srvKey, caKey)
	cli := sign(&x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "carol"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}, ca, cliKey, caKey)
	pemOf := func(typ string, der []byte) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
	}
	keyPEM := func(k *ecdsa.PrivateKey) string {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return pemOf("PRIVATE KEY", der)
	}
	p := &PKI{CA: ca, CAPEM: pemOf("CERTIFICATE", ca.Raw),
		ServerChainPEM: pemOf("CERTIFICATE", srv.Raw) + pemOf("CERTIFICATE", ca.Raw), ServerKeyPEM: keyPEM(srvKey),
		ClientCertPEM: pemOf("CERTIFICATE", cli.Raw), ClientKeyPEM: keyPEM(cliKey),
		Client: tls.Certificate{Certificate: [][]byte{cli.Raw}, PrivateKey: cliKey}}
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	p.CAFile = write("ca.pem", p.CAPEM)
	p.ServerFile = write("server.pem", p.ServerChainPEM+p.ServerKeyPEM)
	p.ClientCertFile = write("client.pem", p.ClientCertPEM)
	p.ClientKeyFile = write("client.key", p.ClientKeyPEM)
	return p
}

// ClientTLS trusts the CA, with the client certificate if asked.
func (p *PKI) ClientTLS(withCert bool) *tls.Config {
	roots := x509.NewCertPool()
	roots.AddCert(p.CA)
	cfg := &tls.Config{RootCAs: roots}
	if withCert {
		cfg.Certificates = []tls.Certificate{p.Client}
	}
	return cfg
}
