package cli

import (
	"strings"
	"testing"

	"github.com/strom-project/strom/internal/testutil"
)

// TestSASLFlags: commands authenticate with --sasl-* (PLAIN and SCRAM,
// the password from the environment too), and a wrong password is one
// clear line.
func TestSASLFlags(t *testing.T) {
	b := startBrokerWith(t, "SASL_PLAINTEXT",
		"listeners=PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0", "inter.broker.listener.name=PLAINTEXT",
		"sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256",
		`listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret";`)
	admin := []string{"-b", b, "--sasl-mechanism", "PLAIN", "--sasl-user", "admin", "--sasl-password", "admin-secret"}
	mustRun(t, "", append([]string{"topic", "create", "orders"}, admin...)...)
	mustRun(t, "", append([]string{"user", "create", "alice", "--password", "alice-secret"}, admin...)...)

	t.Setenv("STROM_SASL_PASSWORD", "alice-secret")
	got := mustRun(t, "", "topic", "list", "-b", b, "--sasl-mechanism", "SCRAM-SHA-256", "--sasl-user", "alice")
	if !strings.Contains(got, "orders") {
		t.Errorf("topic list as alice:\n%s", got)
	}
	_, err := run(t, "", "topic", "list", "-b", b, "--sasl-mechanism", "SCRAM-SHA-256", "--sasl-user", "alice", "--sasl-password", "wrong")
	if err == nil || !strings.Contains(err.Error(), "authentication failed") {
		t.Errorf("wrong password: %v", err)
	}
	got = mustRun(t, "", "bench", "produce", "--create", "--topic", "bench-sasl", "--records", "200", "--record-size", "64", "-q",
		"--format", "json", "-b", b, "--sasl-mechanism", "SCRAM-SHA-256", "--sasl-user", "alice")
	if !strings.Contains(got, `"records": 200`) {
		t.Errorf("bench produce over SASL:\n%s", got)
	}
	if _, err := run(t, "", "topic", "list", "-b", b, "--sasl-mechanism", "GSSAPI", "--sasl-user", "alice"); err == nil ||
		!strings.Contains(err.Error(), "unknown --sasl-mechanism") {
		t.Errorf("GSSAPI: %v", err)
	}
}

// TestTLSFlags: commands reach an SSL listener that requires client
// certificates with --tls-ca/--tls-cert/--tls-key, and fail without a
// certificate.
func TestTLSFlags(t *testing.T) {
	pki := testutil.NewPKI(t)
	b := startBrokerWith(t, "SSL", "listeners=PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0", "inter.broker.listener.name=PLAINTEXT",
		"ssl.keystore.type=PEM", "ssl.keystore.location="+pki.ServerFile,
		"ssl.truststore.type=PEM", "ssl.truststore.location="+pki.CAFile, "ssl.client.auth=required")
	tlsArgs := []string{"-b", b, "--tls-ca", pki.CAFile, "--tls-cert", pki.ClientCertFile, "--tls-key", pki.ClientKeyFile}
	mustRun(t, "", append([]string{"topic", "create", "secure"}, tlsArgs...)...)
	if got := mustRun(t, "", append([]string{"topic", "list"}, tlsArgs...)...); !strings.Contains(got, "secure") {
		t.Errorf("topic list over TLS:\n%s", got)
	}
	if _, err := run(t, "", "topic", "list", "-b", b, "--tls-ca", pki.CAFile, "--timeout", "3s"); err == nil {
		t.Error("served without a client certificate")
	}
}
