package broker_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/strom-project/strom/internal/auth"
	"github.com/strom-project/strom/internal/broker"
	"github.com/strom-project/strom/internal/config"
	"github.com/strom-project/strom/internal/controller"
	"github.com/strom-project/strom/internal/metadata"
	"github.com/strom-project/strom/internal/testcluster"
	"github.com/strom-project/strom/internal/testutil"
)

// TestSecuredCluster: three nodes with nothing in the clear. The listener
// clients and brokers share is SASL_SSL (brokers authenticate to each
// other with PLAIN as User:broker), the CONTROLLER listener, which the
// metadata quorum shares, is SSL with required client certificates, and
// ACLs are on. Replication (acks=all, min ISR 2), transaction markers
// and a failover all run over them, and a SCRAM client with an ACL works
// end to end.
func TestSecuredCluster(t *testing.T) {
	t.Run("PLAIN between brokers", func(t *testing.T) {
		testSecuredCluster(t, "PLAIN", `org.apache.kafka.common.security.plain.PlainLoginModule required `+
			`username="broker" password="broker-secret" user_broker="broker-secret" user_admin="admin-secret";`, nil)
	})
	t.Run("SCRAM-SHA-512 between brokers", func(t *testing.T) {
		// The brokers' SCRAM user must exist before they can replicate:
		// every node is formatted with it, as strom storage format
		// --add-scram does.
		rec, err := auth.ParseScramSpec("SCRAM-SHA-512=[name=broker,password=broker-secret]")
		if err != nil {
			t.Fatal(err)
		}
		clusterID := controller.NewClusterID()
		format := func(cfg *config.Broker) error {
			return controller.Format(broker.MetadataDir(cfg), cfg.NodeID, clusterID, []metadata.Record{rec}, time.Now())
		}
		testSecuredCluster(t, "SCRAM-SHA-512", `org.apache.kafka.common.security.scram.ScramLoginModule required `+
			`username="broker" password="broker-secret";`, format)
	})
}

func testSecuredCluster(t *testing.T, mechanism, jaas string, format func(*config.Broker) error) {
	pki := testutil.NewPKI(t)
	c := testcluster.Start(t, testcluster.Options{Nodes: 3, BeforeFirstStart: format, Overrides: map[string]string{
		// The generated layout names its listeners PLAINTEXT and
		// CONTROLLER; the map decides what they speak.
		"listener.security.protocol.map": "PLAINTEXT:SASL_SSL,CONTROLLER:SSL",
		"ssl.keystore.type":              "PEM", "ssl.keystore.location": pki.ServerFile,
		"ssl.truststore.type": "PEM", "ssl.truststore.location": pki.CAFile,
		"listener.name.controller.ssl.client.auth": "required",
		"sasl.enabled.mechanisms":                  "PLAIN,SCRAM-SHA-512",
		"sasl.mechanism.inter.broker.protocol":     mechanism,
		"listener.name.plaintext.plain.sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required ` +
			`user_admin="admin-secret";`,
		"listener.name.plaintext." + strings.ToLower(mechanism) + ".sasl.jaas.config": jaas,
		"authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
		// The brokers' certificate is CN=localhost on the CONTROLLER listener.
		"super.users": "User:broker;User:admin;User:CN=localhost",
		// Sessions last 2s (KIP-368): the brokers' own connections must
		// renew theirs, or replication stalls mid-test.
		"connections.max.reauth.ms":            "2000",
		"broker.session.timeout.ms":            "2500",
		"broker.heartbeat.interval.ms":         "250",
		"transaction.state.log.num.partitions": "3",
		"offsets.topic.num.partitions":         "3",
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	tlsCfg := pki.ClientTLS(false)
	secure := func(mech kgo.Opt, opts ...kgo.Opt) *kgo.Client {
		cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(c.Bootstrap()...), kgo.DialTLSConfig(tlsCfg), mech,
			kgo.MetadataMinAge(100 * time.Millisecond)}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cl.Close)
		return cl
	}
	admin := kadm.NewClient(secure(kgo.SASL(plain.Auth{User: "admin", Pass: "admin-secret"}.AsMechanism())))
	minISR := "2"
	if _, err := admin.CreateTopic(ctx, 1, 3, map[string]*string{"min.insync.replicas": &minISR}, "secured"); err != nil {
		t.Fatalf("creating an RF 3 topic: %v", err)
	}
	if _, err := admin.AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{
		{User: "alice", Mechanism: kadm.ScramSha512, Iterations: 4096, Password: "alice-secret"},
	}); err != nil {
		t.Fatal(err)
	}
	acls := kadm.NewACLs().Allow("User:alice").Topics("secured").Groups("unused").TransactionalIDs("alice-txn").
		Operations(kadm.OpAll).ResourcePatternType(kadm.ACLPatternLiteral)
	if res, err := admin.CreateACLs(ctx, acls); err != nil || res[0].Err != nil {
		t.Fatalf("CreateACLs: %v %v", err, res)
	}
	alice := secure(kgo.SASL(scram.Auth{User: "alice", Pass: "alice-secret"}.AsSha512Mechanism()),
		kgo.DefaultProduceTopic("secured"), kgo.RequiredAcks(kgo.AllISRAcks()), kgo.TransactionalID("alice-txn"))

	// acks=all with min ISR 2: only acknowledged once a follower has
	// fetched it over SASL_SSL; the commit marker goes the same way.
	produce := func(values ...string) {
		t.Helper()
		testutil.WaitFor(t, time.Minute, func() error { return alice.BeginTransaction() })
		for _, v := range values {
			if err := alice.ProduceSync(ctx, kgo.StringRecord(v)).FirstErr(); err != nil {
				t.Fatalf("produce %s: %v", v, err)
			}
		}
		if err := alice.EndTransaction(ctx, kgo.TryCommit); err != nil {
			t.Fatalf("commit: %v", err)
		}
	}
	produce("a", "b")
	testutil.WaitFor(t, time.Minute, func() error {
		d, err := admin.ListEndOffsets(ctx, "secured")
		if err != nil {
			return err
		}
		meta, err := admin.Metadata(ctx, "secured")
		if err != nil {
			return err
		}
		p := meta.Topics["secured"].Partitions[0]
		if o, _ := d.Lookup("secured", 0); o.Offset != 3 || len(p.ISR) != 3 {
			return fmt.Errorf("end offset %d (want 3: two records and the marker), ISR %v", o.Offset, p.ISR)
		}
		return nil
	})

	// Fail over: stop the leader; a follower that replicated over TLS
	// takes over with everything, and alice goes on.
	meta, err := admin.Metadata(ctx, "secured")
	if err != nil {
		t.Fatal(err)
	}
	leader := meta.Topics["secured"].Partitions[0].Leader
	c.Stop(int(leader - 1))
	produce("c")
	reader := secure(kgo.SASL(scram.Auth{User: "alice", Pass: "alice-secret"}.AsSha512Mechanism()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{"secured": {0: kgo.NewOffset().AtStart()}}))
	var got []string
	for len(got) < 3 {
		fs := reader.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %v after the failover: %v", got, ctx.Err())
		}
		fs.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	}
	if fmt.Sprint(got) != "[a b c]" {
		t.Fatalf("read %v after stopping leader %d, want [a b c]", got, leader)
	}
	c.Restart(int(leader - 1))

	// Clients without the right credentials get nowhere.
	wrong := secure(kgo.SASL(scram.Auth{User: "alice", Pass: "wrong"}.AsSha512Mechanism()), kgo.RecordRetries(0),
		kgo.DefaultProduceTopic("secured"))
	if err := wrong.ProduceSync(ctx, kgo.StringRecord("x")).FirstErr(); !errors.Is(err, kerr.SaslAuthenticationFailed) {
		t.Fatalf("a wrong password: %v, want SASL_AUTHENTICATION_FAILED", err)
	}
}
