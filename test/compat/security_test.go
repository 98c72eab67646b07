package compat

import (
	"context"
	"encoding/json"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/strom-project/strom/internal/teststrom"
	"github.com/strom-project/strom/internal/testutil"
)

// secureBroker is a Strom with SASL_SSL (PLAIN admin, SCRAM users) and SSL
// (client certificates required) listeners and the ACL authorizer, and the
// PEM files clients need.
type secureBroker struct {
	saslAddr, sslAddr string
	caFile            string
	certFile, keyFile string // CN=carol
	admin             *kadm.Client
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startSecureBroker(t *testing.T) *secureBroker {
	t.Helper()
	dir := t.TempDir()
	pki := testutil.NewPKI(t)
	sb := &secureBroker{saslAddr: freeAddr(t), sslAddr: freeAddr(t), caFile: pki.CAFile,
		certFile: pki.ClientCertFile, keyFile: pki.ClientKeyFile}
	b, err := teststrom.Start(teststrom.Options{Dir: dir, ExtraListeners: []string{"SASL_SSL://" + sb.saslAddr, "SSL://" + sb.sslAddr}, Overrides: []string{
		"inter.broker.listener.name=PLAINTEXT",
		"ssl.keystore.type=PEM", "ssl.keystore.location=" + pki.ServerFile,
		"ssl.truststore.type=PEM", "ssl.truststore.location=" + sb.caFile,
		"listener.name.ssl.ssl.client.auth=required",
		"sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
		`listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret" user_bob="bob-secret";`,
		"authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
		"super.users=User:admin;User:ANONYMOUS",
	}})
	if err != nil {
		t.Fatalf("starting a secured strom: %v", err)
	}
	t.Cleanup(func() { b.Stop() })
	cl, err := kgo.NewClient(kgo.SeedBrokers(sb.saslAddr), kgo.DialTLSConfig(pki.ClientTLS(false)),
		kgo.SASL(plain.Auth{User: "admin", Pass: "admin-secret"}.AsMechanism()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	sb.admin = kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := sb.admin.AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{
		{User: "alice", Mechanism: kadm.ScramSha512, Iterations: 4096, Password: "alice-secret"},
		{User: "alice", Mechanism: kadm.ScramSha256, Iterations: 4096, Password: "alice-secret"},
	}); err != nil {
		t.Fatal(err)
	}
	acls := kadm.NewACLs().Allow("User:alice", "User:bob", "User:CN=carol").Topics("sec-").Groups("unused").
		Operations(kadm.OpAll).ResourcePatternType(kadm.ACLPatternPrefixed)
	if _, err := sb.admin.CreateACLs(ctx, acls); err != nil {
		t.Fatal(err)
	}
	// The producers are idempotent by default: IDEMPOTENT_WRITE is implied
	// by WRITE on some topic (KIP-679), which the grant above gives.
	return sb
}

func (sb *secureBroker) topic(t *testing.T, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := sb.admin.CreateTopic(ctx, 1, 1, nil, name); err != nil {
		t.Fatal(err)
	}
}

// TestKcatSecurity: kcat (librdkafka) over SASL_SSL with SCRAM-SHA-512 and
// over SSL with a client certificate; a wrong password fails.
func TestKcatSecurity(t *testing.T) {
	_, err := exec.LookPath("kcat")
	need(t, "kcat", err)
	sb := startSecureBroker(t)
	sb.topic(t, "sec-kcat")
	scramArgs := []string{"-b", sb.saslAddr, "-X", "security.protocol=SASL_SSL", "-X", "sasl.mechanisms=SCRAM-SHA-512",
		"-X", "sasl.username=alice", "-X", "ssl.ca.location=" + sb.caFile, "-X", "message.timeout.ms=10000"}
	scenario(t, clientKcat, "SASL_SSL SCRAM-SHA-512", func(t *testing.T) {
		runCmd(t, "m1\nm2\nm3\n", "kcat", append(scramArgs, "-X", "sasl.password=alice-secret", "-P", "-t", "sec-kcat", "-p", "0")...)
		_, errOut, err := runCmdErr("", "kcat", append(scramArgs, "-X", "sasl.password=wrong", "-L")...)
		if err == nil || !strings.Contains(strings.ToLower(errOut), "authentication") {
			t.Fatalf("kcat with a wrong password: err %v, stderr %s", err, tail(errOut, 5))
		}
	})
	scenario(t, clientKcat, "SSL client certificate", func(t *testing.T) {
		certArgs := []string{"-b", sb.sslAddr, "-X", "security.protocol=SSL", "-X", "ssl.ca.location=" + sb.caFile,
			"-X", "ssl.certificate.location=" + sb.certFile, "-X", "ssl.key.location=" + sb.keyFile}
		got := lines(runCmd(t, "", "kcat", append(certArgs, "-C", "-t", "sec-kcat", "-p", "0", "-o", "beginning", "-c", "3", "-f", "%s\n")...))
		equalLines(t, "kcat over SSL with a client certificate", got, []string{"m1", "m2", "m3"})
	})
}

// TestConfluentPythonSecurity: confluent-kafka-python over SASL_SSL with
// SCRAM-SHA-512 and over SSL with a client certificate.
func TestConfluentPythonSecurity(t *testing.T) {
	needPythonModule(t, "confluent_kafka")
	sb := startSecureBroker(t)
	scenario(t, clientConfluent, "SASL_SSL SCRAM-SHA-512", func(t *testing.T) {
		sb.topic(t, "sec-py-scram")
		rt := runPy(t, "confluent_secure.py", sb.saslAddr, "sec-py-scram", "3", "security.protocol=SASL_SSL",
			"sasl.mechanisms=SCRAM-SHA-512", "sasl.username=alice", "sasl.password=alice-secret", "ssl.ca.location="+sb.caFile)
		checkProduced(t, rt, 3)
		checkConsumed(t, rt, 3, "secure")
	})
	scenario(t, clientConfluent, "SSL client certificate", func(t *testing.T) {
		sb.topic(t, "sec-py-ssl")
		rt := runPy(t, "confluent_secure.py", sb.sslAddr, "sec-py-ssl", "3", "security.protocol=SSL",
			"ssl.ca.location="+sb.caFile, "ssl.certificate.location="+sb.certFile, "ssl.key.location="+sb.keyFile)
		checkProduced(t, rt, 3)
		checkConsumed(t, rt, 3, "secure")
	})
}

// TestKafkaJSSecurity: kafkajs over SASL_SSL with PLAIN and with
// SCRAM-SHA-256; what it wrote is read back with franz-go.
func TestKafkaJSSecurity(t *testing.T) {
	needKafkaJS(t)
	sb := startSecureBroker(t)
	for _, tc := range []struct{ scenario, mechanism, user, password, topic string }{
		{"SASL_SSL PLAIN", "plain", "bob", "bob-secret", "sec-js-plain"},
		{"SASL_SSL SCRAM-SHA-256", "scram-sha-256", "alice", "alice-secret", "sec-js-scram"},
	} {
		scenario(t, clientKafkaJS, tc.scenario, func(t *testing.T) {
			sb.topic(t, tc.topic)
			out := runCmd(t, "", "node", "js/secure.js", sb.saslAddr, tc.topic, tc.mechanism, tc.user, tc.password, sb.caFile)
			var rt struct {
				Error         string
				Send, Offsets jsStep
			}
			if err := json.Unmarshal([]byte(out), &rt); err != nil || rt.Error != "" {
				t.Fatalf("js/secure.js: %v %s\n%s", err, rt.Error, out)
			}
			rt.Send.ok(t, "producer.send", nil)
			rt.Offsets.ok(t, "admin.fetchTopicOffsets", nil)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			ends, err := sb.admin.ListEndOffsets(ctx, tc.topic)
			if err != nil {
				t.Fatal(err)
			}
			if o, _ := ends.Lookup(tc.topic, 0); o.Offset != 3 {
				t.Fatalf("end offset %d after kafkajs sent 3", o.Offset)
			}
		})
	}
	scenario(t, clientKafkaJS, "SASL wrong password", func(t *testing.T) {
		out := runCmd(t, "", "node", "js/secure.js", sb.saslAddr, "sec-js-none", "scram-sha-256", "alice", "wrong", sb.caFile)
		if !strings.Contains(out, "SASL") && !strings.Contains(strings.ToLower(out), "authentication") {
			t.Fatalf("a wrong password: %s", out)
		}
		if strings.Contains(out, `"send":{"ok":true`) {
			t.Fatalf("sent with a wrong password: %s", out)
		}
	})
}
