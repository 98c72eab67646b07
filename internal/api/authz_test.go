package api_test

// Authorization end to end: an in-process broker (testcluster) enforces a
// test Authorizer under which the client "alice" may do only what a row
// grants, while the test's admin client and the broker's own in-process
// requests may do everything. Each row sends real requests as alice and
// checks Kafka's error codes and, for denials, that nothing changed.

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/strom-project/strom/internal/api"
	"github.com/strom-project/strom/internal/record"
	"github.com/strom-project/strom/internal/testcluster"
	"github.com/strom-project/strom/internal/wire"
)

// grant is one (operation, resource type, resource name) alice may do.
type grant struct {
	op   kmsg.ACLOperation
	rt   kmsg.ACLResourceType
	name string
}

func topicG(op kmsg.ACLOperation, name string) grant {
	return grant{op, kmsg.ACLResourceTypeTopic, name}
}
func groupG(op kmsg.ACLOperation, name string) grant {
	return grant{op, kmsg.ACLResourceTypeGroup, name}
}
func txnG(op kmsg.ACLOperation, name string) grant {
	return grant{op, kmsg.ACLResourceTypeTransactionalId, name}
}
func clusterG(op kmsg.ACLOperation) grant {
	return grant{op, kmsg.ACLResourceTypeCluster, api.ClusterName}
}

// aclSet is the test Authorizer. Only requests with client id "alice" are
// checked, literally (no implied operations): the handlers must ask for
// exactly what Kafka asks.
type aclSet struct {
	mu     sync.Mutex
	grants map[grant]bool
}

func (a *aclSet) set(gs []grant) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.grants = map[grant]bool{}
	for _, g := range gs {
		a.grants[g] = true
	}
}

func isAlice(c *wire.Conn) bool { return c.ClientID != nil && *c.ClientID == "alice" }

func (a *aclSet) Authorize(c *wire.Conn, op kmsg.ACLOperation, rt kmsg.ACLResourceType, name string) bool {
	if !isAlice(c) {
		return true
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.grants[grant{op, rt, name}]
}

func (a *aclSet) AuthorizeAny(c *wire.Conn, op kmsg.ACLOperation, rt kmsg.ACLResourceType) bool {
	if !isAlice(c) {
		return true
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for g := range a.grants {
		if g.op == op && g.rt == rt {
			return true
		}
	}
	return false
}

// authzEnv is the broker and clients every row shares.
type authzEnv struct {
	ctx   context.Context
	adm   *kadm.Client // unrestricted
	admCl *kgo.Client
	alice *kgo.Client // client id "alice", on the client listener
	ctrl  *kgo.Client // client id "alice", on the CONTROLLER listener
}

// do sends req as alice straight to the broker (no metadata routing, which
// would need grants of its own).
func (e *authzEnv) do(t *testing.T, req kmsg.Request) kmsg.Response {
	t.Helper()
	return send(t, e.ctx, e.alice, req)
}

// send sends req to cl's seed broker, at req's version when one was set
// (kgo otherwise picks the highest both sides know).
func send(t *testing.T, ctx context.Context, cl *kgo.Client, req kmsg.Request) kmsg.Response {
	t.Helper()
	if v := req.GetVersion(); v > 0 {
		req = pinned{req, v}
	}
	resp, err := cl.SeedBrokers()[0].Request(ctx, req)
	if err != nil {
		t.Fatalf("%s: %v", kmsg.NameForKey(req.Key()), err)
	}
	return resp
}

// pinned caps a request's version.
type pinned struct {
	kmsg.Request
	max int16
}

func (p pinned) MaxVersion() int16 { return p.max }

func wantCode(t *testing.T, what string, got, want int16) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %v, want %v", what, kerr.ErrorForCode(got), kerr.ErrorForCode(want))
	}
}

// The topics and group every row starts from: two one-partition topics
// holding one record each, and group "g" with offset 1 committed on both.
const (
	tOK = "t-ok"
	tNo = "t-no"
	grp = "g"
)

func startAuthz(t *testing.T) (*authzEnv, *aclSet) {
	t.Helper()
	acls := &aclSet{}
	undo := api.SetAuthorizerForTest(acls)
	c := testcluster.Start(t, testcluster.Options{Nodes: 1})
	undo() // read at start-up only
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	newClient := func(addr string, opts ...kgo.Opt) *kgo.Client {
		cl, err := kgo.NewClient(append(opts, kgo.SeedBrokers(addr))...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cl.Close)
		return cl
	}
	addr := c.Bootstrap()[0]
	e := &authzEnv{ctx: ctx, admCl: newClient(addr, kgo.ClientID("admin"))}
	e.adm = kadm.NewClient(e.admCl)
	e.alice = newClient(addr, kgo.ClientID("alice"))
	e.ctrl = newClient(c.Broker(0).Addr("CONTROLLER").String(), kgo.ClientID("alice"))
	if _, err := e.adm.CreateTopics(ctx, 1, 1, nil, tOK, tNo); err != nil {
		t.Fatal(err)
	}
	for _, topic := range []string{tOK, tNo} {
		if err := e.admCl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("v")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	offs := kadm.Offsets{}
	offs.Add(kadm.Offset{Topic: tOK, Partition: 0, At: 1, LeaderEpoch: -1})
	offs.Add(kadm.Offset{Topic: tNo, Partition: 0, At: 1, LeaderEpoch: -1})
	if err := e.adm.CommitAllOffsets(ctx, grp, offs); err != nil {
		t.Fatal(err)
	}
	return e, acls
}

// authzRow is one case: what alice is granted and what she tries.
type authzRow struct {
	name   string
	grants []grant
	run    func(t *testing.T, e *authzEnv)
}

func TestAuthorization(t *testing.T) {
	e, acls := startAuthz(t)
	var rows []authzRow
	rows = append(rows, dataRows()...)
	rows = append(rows, groupRows()...)
	rows = append(rows, adminRows()...)
	rows = append(rows, clusterRows()...)
	rows = append(rows, txnRows()...)
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			acls.set(r.grants)
			r.run(t, e)
		})
	}
}

// endOffset is a partition's high watermark, as the admin sees it.
func (e *authzEnv) endOffset(t *testing.T, topic string) int64 {
	t.Helper()
	ends, err := e.adm.ListEndOffsets(e.ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	o, ok := ends.Lookup(topic, 0)
	if !ok || o.Err != nil {
		t.Fatalf("end offset of %s: %+v", topic, o)
	}
	return o.Offset
}

// committed is group g's committed offset of topic's partition 0 (-1: none).
func (e *authzEnv) committed(t *testing.T, group, topic string) int64 {
	t.Helper()
	offs, err := e.adm.FetchOffsets(e.ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := offs.Lookup(topic, 0); ok && o.Err == nil {
		return o.At
	}
	return -1
}

// topicExists asks the admin's metadata.
func (e *authzEnv) topicExists(t *testing.T, topic string) bool {
	t.Helper()
	td, err := e.adm.ListTopics(e.ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	return td.Has(topic) && td[topic].Err == nil
}

// batch is one record batch; a transactional one for producer 1000.
func batch(t *testing.T, transactional bool) []byte {
	t.Helper()
	s := record.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1,
		BaseTimestamp: time.Now().UnixMilli(), Records: []record.NewRecord{{Value: []byte("x")}}}
	if transactional {
		s.Transactional, s.ProducerID, s.ProducerEpoch, s.BaseSequence = true, 1000, 0, 0
	}
	b, err := record.Build(nil, s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
