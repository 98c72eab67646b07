package auth

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

	"github.com/pavlo-v-chernykh/keystore-go/v4"
	"software.sslmate.com/src/go-pkcs12"
)

// testPKI is a CA with a server and a client certificate, made per test.
type testPKI struct {
	caCert            *x509.Certificate
	caKey             *ecdsa.PrivateKey
	server, client    *x509.Certificate
	serverKey, cliKey *ecdsa.PrivateKey
	serverPEM, keyPEM []byte // server chain and key
	caPEM             []byte
}

func issue(t *testing.T, tmpl *x509.Certificate, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, key
}

func newPKI(t *testing.T) *testPKI {
	t.Helper()
	now := time.Now()
	p := &testPKI{}
	p.caCert, p.caKey = issue(t, &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}, nil, nil)
	p.server, p.serverKey = issue(t, &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "broker"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, p.caCert, p.caKey)
	p.client, p.cliKey = issue(t, &x509.Certificate{SerialNumber: big.NewInt(3),
		Subject:   pkix.Name{CommonName: "alice", OrganizationalUnit: []string{"eng"}, Organization: []string{"Acme"}, Country: []string{"US"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, p.caCert, p.caKey)
	p.serverPEM = append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.server.Raw}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.caCert.Raw})...)
	der, err := x509.MarshalPKCS8PrivateKey(p.serverKey)
	if err != nil {
		t.Fatal(err)
	}
	p.keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	p.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.caCert.Raw})
	return p
}

func getter(m map[string]string) Getter {
	defaults := map[string]string{"ssl.keystore.type": "JKS", "ssl.truststore.type": "JKS", "ssl.client.auth": "none",
		"ssl.enabled.protocols": "TLSv1.2,TLSv1.3", "ssl.protocol": "TLSv1.3", "ssl.cipher.suites": ""}
	return func(name string) (string, bool) {
		if v, ok := m[name]; ok {
			return v, true
		}
		v, ok := defaults[name]
		return v, ok
	}
}

func write(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// handshake runs a TLS handshake over loopback TCP (kernel buffers, so an
// alert never blocks) and returns the server's view of the client
// certificates, or the first error of either side.
func handshake(t *testing.T, srv *tls.Config, p *testPKI, withClientCert bool) ([]*x509.Certificate, error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	roots := x509.NewCertPool()
	roots.AddCert(p.caCert)
	ccfg := &tls.Config{RootCAs: roots, ServerName: "localhost"}
	if withClientCert {
		ccfg.Certificates = []tls.Certificate{{Certificate: [][]byte{p.client.Raw}, PrivateKey: p.cliKey}}
	}
	errc := make(chan error, 1)
	go func() {
		c, err := tls.Dial("tcp", ln.Addr().String(), ccfg)
		if err == nil {
			// TLS 1.3 clients finish before the server has checked their
			// certificate: reading the server's byte sees its verdict.
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, err = c.Read(make([]byte, 1))
			c.Close()
		}
		errc <- err
	}()
	nc, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	s := tls.Server(nc, srv)
	if err := s.Handshake(); err != nil {
		<-errc
		return nil, err
	}
	certs := s.ConnectionState().PeerCertificates
	s.Write([]byte{1})
	if err := <-errc; err != nil {
		return nil, err
	}
	return certs, nil
}

func TestServerTLSConfigKeyStores(t *testing.T) {
	p := newPKI(t)
	pemFile := write(t, "server.pem", append(append([]byte{}, p.serverPEM...), p.keyPEM...))
	p12, err := pkcs12.Modern.Encode(p.serverKey, p.server, []*x509.Certificate{p.caCert}, "store-pass")
	if err != nil {
		t.Fatal(err)
	}
	p12File := write(t, "server.p12", p12)
	jksFile := write(t, "server.jks", jksKeyStore(t, p, "store-pass"))
	for name, m := range map[string]map[string]string{
		"PEM file":   {"ssl.keystore.type": "PEM", "ssl.keystore.location": pemFile},
		"PEM inline": {"ssl.keystore.type": "PEM", "ssl.keystore.certificate.chain": string(p.serverPEM), "ssl.keystore.key": string(p.keyPEM)},
		"PKCS12":     {"ssl.keystore.type": "PKCS12", "ssl.keystore.location": p12File, "ssl.keystore.password": "store-pass"},
		"JKS":        {"ssl.keystore.location": jksFile, "ssl.keystore.password": "store-pass"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg, err := ServerTLSConfig(getter(m))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := handshake(t, cfg, p, false); err != nil {
				t.Fatalf("handshake: %v", err)
			}
		})
	}
	for name, m := range map[string]map[string]string{
		"wrong PKCS12 password": {"ssl.keystore.type": "PKCS12", "ssl.keystore.location": p12File, "ssl.keystore.password": "nope"},
		"wrong JKS password":    {"ssl.keystore.location": jksFile, "ssl.keystore.password": "nope"},
		"missing file":          {"ssl.keystore.type": "PEM", "ssl.keystore.location": "/nonexistent.pem"},
		"no key store":          {},
		"client auth, no trust": {"ssl.keystore.type": "PEM", "ssl.keystore.location": pemFile, "ssl.client.auth": "required"},
		"unknown protocol":      {"ssl.keystore.type": "PEM", "ssl.keystore.location": pemFile, "ssl.enabled.protocols": "TLSv1.1"},
	} {
		if _, err := ServerTLSConfig(getter(m)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func jksKeyStore(t *testing.T, p *testPKI, pass string) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(p.serverKey)
	if err != nil {
		t.Fatal(err)
	}
	ks := keystore.New()
	err = ks.SetPrivateKeyEntry("broker", keystore.PrivateKeyEntry{CreationTime: time.Now(), PrivateKey: der,
		CertificateChain: []keystore.Certificate{{Type: "X509", Content: p.server.Raw}, {Type: "X509", Content: p.caCert.Raw}}}, []byte(pass))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.CreateTemp(t.TempDir(), "jks")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := ks.Store(f, []byte(pass)); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestClientAuthModes: ssl.client.auth none / requested / required, and
// the principal of the client certificate.
func TestClientAuthModes(t *testing.T) {
	p := newPKI(t)
	base := map[string]string{"ssl.keystore.type": "PEM", "ssl.keystore.certificate.chain": string(p.serverPEM),
		"ssl.keystore.key": string(p.keyPEM), "ssl.truststore.type": "PEM", "ssl.truststore.certificates": string(p.caPEM)}
	with := func(mode string) *tls.Config {
		m := map[string]string{"ssl.client.auth": mode}
		for k, v := range base {
			m[k] = v
		}
		cfg, err := ServerTLSConfig(getter(m))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	if certs, err := handshake(t, with("none"), p, true); err != nil || len(certs) != 0 {
		t.Errorf("none: %d certs, %v", len(certs), err)
	}
	if certs, err := handshake(t, with("requested"), p, false); err != nil || len(certs) != 0 {
		t.Errorf("requested without a certificate: %d certs, %v", len(certs), err)
	}
	if _, err := handshake(t, with("required"), p, false); err == nil {
		t.Error("required without a certificate: accepted")
	}
	certs, err := handshake(t, with("required"), p, true)
	if err != nil || len(certs) == 0 {
		t.Fatalf("required with a certificate: %v", err)
	}
	rules, err := ParsePrincipalRules("")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rules.CertPrincipal(certs[0]); err != nil || got != "User:CN=alice,OU=eng,O=Acme,C=US" {
		t.Errorf("DEFAULT principal %q, %v", got, err)
	}
	rules, err = ParsePrincipalRules(`RULE:^CN=(.*?),OU=(.*?),O=.*$/$1@$2/U, DEFAULT`)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rules.CertPrincipal(certs[0]); err != nil || got != "User:ALICE@ENG" {
		t.Errorf("mapped principal %q, %v", got, err)
	}
}

func TestPrincipalRules(t *testing.T) {
	for _, tc := range []struct{ rules, dn, want string }{
		{"DEFAULT", "CN=a,O=b", "CN=a,O=b"},
		{"RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,DEFAULT", "CN=svc,OU=ServiceUsers,O=x", "svc"},
		{"RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,DEFAULT", "CN=bob,OU=People", "CN=bob,OU=People"},
		{"RULE:^CN=(.*?),OU=(.*?)$/$1@$2/L", "CN=Bob,OU=Eng", "bob@eng"},
		{`RULE:^CN=([^,]*).*$/a\/$1/`, "CN=x,O=y", "a/x"},
	} {
		r, err := ParsePrincipalRules(tc.rules)
		if err != nil {
			t.Fatalf("%q: %v", tc.rules, err)
		}
		if got, err := r.Map(tc.dn); err != nil || got != tc.want {
			t.Errorf("%q on %q = %q, %v; want %q", tc.rules, tc.dn, got, err, tc.want)
		}
	}
	r, _ := ParsePrincipalRules("RULE:^CN=x$/y/")
	if _, err := r.Map("CN=z"); err == nil {
		t.Error("no rule applied, yet no error")
	}
	for _, bad := range []string{"RULE:abc", "NOPE", "RULE:(/x/", "DEFAULT DEFAULT"} {
		if _, err := ParsePrincipalRules(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
