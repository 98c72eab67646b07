package quota

import (
	"testing"

	"github.com/strom-project/strom/internal/metadata"
)

// TestResolveOrder: with a quota at each of Kafka's eight levels, the
// most specific one applies; removing it reveals the next. The bucket
// keeps the parts of the matched entity only.
func TestResolveOrder(t *testing.T) {
	u, du := metadata.Named("alice"), metadata.DefaultName()
	c, dc := metadata.Named("app"), metadata.DefaultName()
	none := metadata.QuotaName{}
	levels := []struct {
		e    metadata.QuotaEntity
		want Bucket
	}{
		{metadata.QuotaEntity{User: u, ClientID: c}, Bucket{"alice", "app", true, true}},
		{metadata.QuotaEntity{User: u, ClientID: dc}, Bucket{"alice", "app", true, true}},
		{metadata.QuotaEntity{User: u, ClientID: none}, Bucket{"alice", "", true, false}},
		{metadata.QuotaEntity{User: du, ClientID: c}, Bucket{"alice", "app", true, true}},
		{metadata.QuotaEntity{User: du, ClientID: dc}, Bucket{"alice", "app", true, true}},
		{metadata.QuotaEntity{User: du, ClientID: none}, Bucket{"alice", "", true, false}},
		{metadata.QuotaEntity{User: none, ClientID: c}, Bucket{"", "app", false, true}},
		{metadata.QuotaEntity{User: none, ClientID: dc}, Bucket{"", "app", false, true}},
	}
	q := Quotas{
		// Other users, clients and keys never match alice/app's produce quota.
		{User: metadata.Named("bob")}:                                  {"producer_byte_rate": 1},
		{ClientID: metadata.Named("other")}:                            {"producer_byte_rate": 2},
		{User: u, ClientID: c, IP: metadata.QuotaName{}}:               {"consumer_byte_rate": 3, "producer_byte_rate": 100},
		{IP: metadata.DefaultName()}:                                   {"producer_byte_rate": 4},
		{User: metadata.Named("alice"), ClientID: metadata.Named("x")}: {"producer_byte_rate": 5},
	}
	for i, l := range levels {
		if q[l.e] == nil {
			q[l.e] = map[string]float64{}
		}
		q[l.e]["producer_byte_rate"] = float64(100 + i)
	}
	for i, l := range levels {
		bound, b, ok := Resolve(q, "producer_byte_rate", "alice", "app")
		if !ok || bound != float64(100+i) || b != l.want {
			t.Fatalf("level %d: got %v %+v %v, want %v %+v", i+1, bound, b, ok, 100+i, l.want)
		}
		// An entity with another key only does not match this key.
		delete(q[l.e], "producer_byte_rate")
		q[l.e]["request_percentage"] = 50
	}
	if bound, _, ok := Resolve(q, "producer_byte_rate", "alice", "app"); ok {
		t.Fatalf("no level left, still resolved %v", bound)
	}
	if _, _, ok := Resolve(nil, "producer_byte_rate", "alice", "app"); ok {
		t.Fatal("resolved without quotas")
	}
}
