package broker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/testutil"
)

// secureOverrides: PLAINTEXT between brokers, SASL_SSL (PLAIN admin,
// SCRAM users) and SSL with required client certificates for clients,
// and Kafka's StandardAuthorizer.
func secureOverrides(c *testutil.PKI) []string {
	return []string{
		"listeners=PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0,SSL://127.0.0.1:0",
		"inter.broker.listener.name=PLAINTEXT",
		"ssl.keystore.type=PEM", "ssl.keystore.certificate.chain=" + c.ServerChainPEM, "ssl.keystore.key=" + c.ServerKeyPEM,
		"ssl.truststore.type=PEM", "ssl.truststore.certificates=" + c.CAPEM,
		"listener.name.ssl.ssl.client.auth=required",
		"sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
		`listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret";`,
		"authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
		"super.users=User:admin;User:ANONYMOUS",
	}
}

// TestSecurityEndToEnd: TLS + SASL (PLAIN, SCRAM) + ACLs through franz-go,
// kept across a restart.
func TestSecurityEndToEnd(t *testing.T) {
	certs := testutil.NewPKI(t)
	dir := t.TempDir()
	b, _ := startBroker(t, dir, secureOverrides(certs)...)
	sasl := b.Addr("SASL_SSL").String()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	admin := kadm.NewClient(newClient(t, sasl, kgo.DialTLSConfig(certs.ClientTLS(false)),
		kgo.SASL(plain.Auth{User: "admin", Pass: "admin-secret"}.AsMechanism())))
	if _, err := admin.CreateTopic(ctx, 1, 1, nil, "t"); err != nil {
		t.Fatalf("admin creating a topic: %v", err)
	}
	if _, err := admin.AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{
		{User: "alice", Mechanism: kadm.ScramSha512, Iterations: 4096, Password: "alice-secret"},
	}); err != nil {
		t.Fatal(err)
	}
	alice := func(addr, pass string) *kgo.Client {
		return newClient(t, addr, kgo.DialTLSConfig(certs.ClientTLS(false)), kgo.RecordRetries(1),
			kgo.SASL(scram.Auth{User: "alice", Pass: pass}.AsSha512Mechanism()), kgo.DefaultProduceTopic("t"))
	}
	produce := func(cl *kgo.Client) error {
		return cl.ProduceSync(ctx, kgo.StringRecord("v")).FirstErr()
	}
	if err := produce(alice(sasl, "wrong")); !errors.Is(err, kerr.SaslAuthenticationFailed) {
		t.Fatalf("wrong password: %v, want SASL_AUTHENTICATION_FAILED", err)
	}
	if err := produce(alice(sasl, "alice-secret")); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("alice without ACLs: %v, want TOPIC_AUTHORIZATION_FAILED", err)
	}
	checkEnd(ctx, t, admin, 0)

	allowWrite := kadm.NewACLs().Allow("User:alice").Topics("t").Operations(kadm.OpWrite).ResourcePatternType(kadm.ACLPatternLiteral)
	if res, err := admin.CreateACLs(ctx, allowWrite); err != nil || res[0].Err != nil {
		t.Fatalf("CreateACLs: %v %+v", err, res)
	}
	waitFor(t, 10*time.Second, "alice may write", func() bool { return produce(alice(sasl, "alice-secret")) == nil })
	denyPrefix := kadm.NewACLs().Deny("User:*").Topics("t").Operations(kadm.OpWrite).ResourcePatternType(kadm.ACLPatternPrefixed)
	if res, err := admin.CreateACLs(ctx, denyPrefix); err != nil || res[0].Err != nil {
		t.Fatalf("CreateACLs deny: %v %+v", err, res)
	}
	// The DENY wins. The idempotent producer meets it first at
	// InitProducerId: no topic is left that it may write to (KIP-679).
	waitFor(t, 10*time.Second, "the DENY wins", func() bool { return denied(produce(alice(sasl, "alice-secret"))) })
	checkEnd(ctx, t, admin, 1)
	all := kadm.NewACLs().AnyResource().Allow().Deny().AllowHosts().DenyHosts().Operations(kadm.OpAny).ResourcePatternType(kadm.ACLPatternAny)
	described, err := admin.DescribeACLs(ctx, all)
	if err != nil || len(described) != 1 || len(described[0].Described) != 2 {
		t.Fatalf("DescribeACLs: %v %+v", err, described)
	}

	bad := kadm.NewACLs().Allow("alice").Topics("t").Operations(kadm.OpRead).ResourcePatternType(kadm.ACLPatternLiteral)
	if res, err := admin.CreateACLs(ctx, bad); err != nil || !errors.Is(res[0].Err, kerr.InvalidRequest) {
		t.Fatalf("an ACL for principal %q: %v %+v, want INVALID_REQUEST", "alice", err, res)
	}

	// carol authenticates with her certificate on the SSL listener and is
	// User:CN=carol; without a certificate there is no connection at all.
	sslAddr := b.Addr("SSL").String()
	grantRead := kadm.NewACLs().Allow("User:CN=carol").Topics("t").Groups("carol").Operations(kadm.OpRead).ResourcePatternType(kadm.ACLPatternLiteral)
	if res, err := admin.CreateACLs(ctx, grantRead); err != nil || res[0].Err != nil {
		t.Fatalf("CreateACLs read: %v %+v", err, res)
	}
	carol := newClient(t, sslAddr, kgo.DialTLSConfig(certs.ClientTLS(true)), kgo.ConsumeTopics("t"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	fs := carol.PollFetches(ctx)
	if errs := fs.Errors(); len(errs) > 0 || fs.NumRecords() != 1 {
		t.Fatalf("carol reading: %v, %d records", errs, fs.NumRecords())
	}
	if _, err := kadm.NewClient(newClient(t, sslAddr, kgo.DialTLSConfig(certs.ClientTLS(false)))).ListTopics(ctx); err == nil {
		t.Fatal("an SSL client without a certificate was served")
	}

	// The DENY survives a restart (replayed from the metadata log), and
	// deleting it lets alice write again.
	b.Close()
	b, _ = startBroker(t, dir, secureOverrides(certs)...)
	defer b.Close()
	sasl = b.Addr("SASL_SSL").String()
	if err := produce(alice(sasl, "alice-secret")); !denied(err) {
		t.Fatalf("alice after a restart: %v, want the DENY to hold", err)
	}
	admin = kadm.NewClient(newClient(t, sasl, kgo.DialTLSConfig(certs.ClientTLS(false)),
		kgo.SASL(plain.Auth{User: "admin", Pass: "admin-secret"}.AsMechanism())))
	delDeny := kadm.NewACLs().Deny("User:*").DenyHosts().Topics("t").Operations(kadm.OpWrite).ResourcePatternType(kadm.ACLPatternPrefixed)
	res, err := admin.DeleteACLs(ctx, delDeny)
	if err != nil || len(res) != 1 || len(res[0].Deleted) != 1 {
		t.Fatalf("DeleteACLs: %v %+v", err, res)
	}
	waitFor(t, 10*time.Second, "alice may write again", func() bool { return produce(alice(sasl, "alice-secret")) == nil })
}

// denied: a produce refused by the ACLs, at the topic or at
// InitProducerId.
func denied(err error) bool {
	return errors.Is(err, kerr.TopicAuthorizationFailed) || errors.Is(err, kerr.ClusterAuthorizationFailed)
}

func checkEnd(ctx context.Context, t *testing.T, adm *kadm.Client, want int64) {
	t.Helper()
	ends, err := adm.ListEndOffsets(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := ends.Lookup("t", 0); o.Offset != want {
		t.Fatalf("end offset %d, want %d: a denied produce wrote", o.Offset, want)
	}
}

// TestSecureListenerConfigErrors: misconfigured security stops the broker
// at start with a message naming what is missing.
func TestSecureListenerConfigErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		overrides []string
		want      string
	}{
		"SSL without a key store": {[]string{"listeners=PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0"}, "ssl.keystore.location"},
		"PLAIN without JAAS": {[]string{"listeners=PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
			"sasl.enabled.mechanisms=PLAIN"}, "plain.sasl.jaas.config"},
		"SASL between brokers with Kafka's GSSAPI default": {[]string{"listeners=SASL_PLAINTEXT://127.0.0.1:0"},
			"sasl.mechanism.inter.broker.protocol is GSSAPI"},
		"SASL between brokers without credentials": {[]string{"listeners=SASL_PLAINTEXT://127.0.0.1:0",
			"sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512"}, "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config"},
		"SASL controller listener": {[]string{"listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:SASL_SSL"},
			"metadata quorum shares it"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg, err := loadConfig(t, append([]string{"log.dirs=" + t.TempDir(), "admin.listener=127.0.0.1:0"}, tc.overrides...))
			if err == nil {
				var b *Broker
				if b, err = New(cfg, nil); err == nil {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					err = b.Start(ctx)
					b.Close()
				}
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func loadConfig(t *testing.T, overrides []string) (*config.Broker, error) {
	t.Helper()
	return config.Load("", overrides)
}

// reauthHooks counts a franz-go client's SaslAuthenticate requests and
// its dropped connections.
type reauthHooks struct{ authenticates, disconnects atomic.Int32 }

func (h *reauthHooks) OnBrokerWrite(_ kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, err error) {
	if key == int16(kmsg.SASLAuthenticate) && err == nil {
		h.authenticates.Add(1)
	}
}

func (h *reauthHooks) OnBrokerDisconnect(kgo.BrokerMetadata, net.Conn) { h.disconnects.Add(1) }

// TestSASLReauthenticationFranzGo: with connections.max.reauth.ms (KIP-368)
// the broker gives the session's lifetime in SaslAuthenticate, and
// franz-go re-authenticates on the same connection before it ends, so a
// producer writing across several lifetimes never loses its connection.
func TestSASLReauthenticationFranzGo(t *testing.T) {
	const lifetime = time.Second
	b, _ := startBroker(t, t.TempDir(), "listeners=PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
		"sasl.enabled.mechanisms=PLAIN",
		`listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_app="app-secret";`,
		fmt.Sprintf("listener.name.sasl_plaintext.connections.max.reauth.ms=%d", lifetime.Milliseconds()))
	defer b.Close()
	hooks := &reauthHooks{}
	cl := newClient(t, b.Addr("SASL_PLAINTEXT").String(), kgo.SASL(plain.Auth{User: "app", Pass: "app-secret"}.AsMechanism()),
		kgo.WithHooks(hooks), kgo.DefaultProduceTopic("reauth"), kgo.AllowAutoTopicCreation())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, kgo.StringRecord("first")).FirstErr(); err != nil {
		t.Fatal(err)
	}
	first := hooks.authenticates.Load()
	// The scenario is the passing of time: write across four lifetimes.
	for end := time.Now().Add(4 * lifetime); time.Now().Before(end); {
		if err := cl.ProduceSync(ctx, kgo.StringRecord("v")).FirstErr(); err != nil {
			t.Fatalf("produce across re-authentications: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := hooks.authenticates.Load(); got < first+3 {
		t.Fatalf("%d SaslAuthenticate requests after the first produce, want at least 3 more: the client did not re-authenticate", got-first)
	}
	if d := hooks.disconnects.Load(); d != 0 {
		t.Fatalf("%d connections dropped: a session expired instead of being renewed", d)
	}
}
