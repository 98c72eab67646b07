package metadata

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestApplyClientQuotas(t *testing.T) {
	alice := QuotaEntity{User: Named("alice"), ClientID: DefaultName()}
	slow := QuotaEntity{ClientID: Named("slow")}
	im, err := NewImage().Apply(1, []Record{
		quotaRec("producer_byte_rate", 1000, userPart("alice"), defaultClient),
		quotaRec("consumer_byte_rate", 2000, defaultClient, userPart("alice")), // same entity, other order
		quotaRec("producer_byte_rate", 100, clientPart("slow")),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[QuotaEntity]map[string]float64{
		alice: {"producer_byte_rate": 1000, "consumer_byte_rate": 2000},
		slow:  {"producer_byte_rate": 100},
	}
	if d := cmp.Diff(want, im.ClientQuotas); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}

	// Removing keys: the entity goes with its last key; the previous
	// image is untouched (copy-on-write).
	next, err := im.Apply(2, []Record{
		&ClientQuotaRecord{Entity: []QuotaEntityData{clientPart("slow")}, Key: "producer_byte_rate", Remove: true},
		&ClientQuotaRecord{Entity: []QuotaEntityData{clientPart("slow")}, Key: "never_set", Remove: true},
		quotaRec("producer_byte_rate", 3000, userPart("alice"), defaultClient),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := next.ClientQuotas[slow]; ok {
		t.Error("an entity without keys stayed")
	}
	if got := next.ClientQuotas[alice]["producer_byte_rate"]; got != 3000 {
		t.Errorf("alice producer_byte_rate = %v, want 3000", got)
	}
	if d := cmp.Diff(want, im.ClientQuotas); d != "" {
		t.Fatalf("Apply mutated the previous image (-want +got):\n%s", d)
	}

	// A snapshot rebuilds the same quotas.
	again, err := NewImage().Apply(3, next.Records())
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(next.ClientQuotas, again.ClientQuotas); d != "" {
		t.Fatalf("snapshot (-want +got):\n%s", d)
	}
}

func TestApplyClientQuotaRejects(t *testing.T) {
	for name, r := range map[string]*ClientQuotaRecord{
		"empty entity": {Key: "producer_byte_rate", Value: 1},
		"unknown type": {Entity: []QuotaEntityData{{Type: "group"}}, Key: "producer_byte_rate", Value: 1},
		"type twice":   {Entity: []QuotaEntityData{defaultUser, userPart("a")}, Key: "producer_byte_rate", Value: 1},
	} {
		if _, err := NewImage().Apply(1, []Record{r}); err == nil {
			t.Errorf("%s: applied", name)
		}
	}
}

func TestQuotaEntityData(t *testing.T) {
	e := QuotaEntity{User: DefaultName(), ClientID: Named("c")}
	back, ok := QuotaEntityFrom(e.Data())
	if !ok || back != e {
		t.Fatalf("round trip: %+v %v", back, ok)
	}
}
