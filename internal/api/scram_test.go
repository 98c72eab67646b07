package api_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestUserScramCredentials: kadm (as kafka-configs.sh --alter
// --add-config SCRAM-SHA-256=[...]) creates and deletes credentials through
// AlterUserScramCredentials, DescribeUserScramCredentials lists their
// mechanisms and iterations, and Kafka's refusals come back per user.
func TestUserScramCredentials(t *testing.T) {
	adm, cl := adminFor(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	altered, err := adm.AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{
		{User: "alice", Mechanism: kadm.ScramSha256, Iterations: 8192, Password: "alice-secret"},
		{User: "alice", Mechanism: kadm.ScramSha512, Iterations: 4096, Password: "alice-secret"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if a := altered["alice"]; a.Err != nil {
		t.Fatalf("alice: %v %s", a.Err, a.ErrMessage)
	}
	// kadm refuses too few iterations itself; another client may not.
	req := kmsg.NewPtrAlterUserSCRAMCredentialsRequest()
	up := kmsg.NewAlterUserSCRAMCredentialsRequestUpsertion()
	up.Name, up.Mechanism, up.Iterations, up.Salt, up.SaltedPassword = "bob", 2, 100, []byte("s"), []byte("p")
	req.Upsertions = append(req.Upsertions, up)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if r := resp.Results[0]; r.ErrorCode != kerr.UnacceptableCredential.Code || r.ErrorMessage == nil || *r.ErrorMessage != "Too few iterations" {
		t.Fatalf("bob with 100 iterations: %+v", r)
	}
	described, err := adm.DescribeUserSCRAMs(ctx, "alice", "bob")
	if err != nil {
		t.Fatal(err)
	}
	a := described["alice"]
	if a.Err != nil || len(a.CredInfos) != 2 || a.CredInfos[0].Mechanism != kadm.ScramSha256 || a.CredInfos[0].Iterations != 8192 ||
		a.CredInfos[1].Mechanism != kadm.ScramSha512 || a.CredInfos[1].Iterations != 4096 {
		t.Fatalf("alice described as %+v", a)
	}
	if b := described["bob"]; !errors.Is(b.Err, kerr.ResourceNotFound) {
		t.Fatalf("bob described as %+v", b)
	}
	altered, err = adm.AlterUserSCRAMs(ctx, []kadm.DeleteSCRAM{{User: "alice", Mechanism: kadm.ScramSha256}, {User: "carol", Mechanism: kadm.ScramSha256}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if altered["alice"].Err != nil || !errors.Is(altered["carol"].Err, kerr.ResourceNotFound) {
		t.Fatalf("deletions: %+v", altered)
	}
	all, err := adm.DescribeUserSCRAMs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || len(all["alice"].CredInfos) != 1 || all["alice"].CredInfos[0].Mechanism != kadm.ScramSha512 {
		t.Fatalf("all users after deleting alice's SHA-256: %+v", all)
	}
}
