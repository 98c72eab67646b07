package metadata

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func quotaRec(key string, value float64, parts ...QuotaEntityData) *ClientQuotaRecord {
	return &ClientQuotaRecord{Entity: parts, Key: key, Value: value}
}

func userPart(name string) QuotaEntityData { return QuotaEntityData{Type: QuotaUser, Name: &name} }
func clientPart(name string) QuotaEntityData {
	return QuotaEntityData{Type: QuotaClientID, Name: &name}
}

var (
	defaultUser   = QuotaEntityData{Type: QuotaUser}
	defaultClient = QuotaEntityData{Type: QuotaClientID}
)

func TestClientQuotaRecordRoundTrip(t *testing.T) {
	recs := []Record{
		quotaRec("producer_byte_rate", 102400, clientPart("slow")),
		quotaRec("consumer_byte_rate", 1, defaultUser, defaultClient),
		quotaRec("request_percentage", 12.5, userPart("alice"), clientPart("c")),
		&ClientQuotaRecord{Entity: []QuotaEntityData{userPart("bob")}, Key: "request_percentage", Remove: true},
		&ClientQuotaRecord{Key: "x"}, // nil entity: decodes, Apply refuses it
	}
	got, err := DecodeBatch(EncodeBatch(recs))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(recs, got); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
}

// TestClientQuotaRecordRejects: non-finite values and newer versions do
// not decode.
func TestClientQuotaRecordRejects(t *testing.T) {
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		data := EncodeBatch([]Record{quotaRec("producer_byte_rate", v, clientPart("a"))})
		if _, err := DecodeBatch(data); err == nil {
			t.Errorf("value %v decoded", v)
		}
	}
	newer := EncodeBatch([]Record{quotaRec("producer_byte_rate", 1, clientPart("a"))})
	newer[3] = 1 // record version 1 of a version-0 record
	if _, err := DecodeBatch(newer); err == nil {
		t.Error("a newer record version decoded")
	}
}

// TestWriteQuotaFuzzSeeds writes the ClientQuotaRecord seeds of
// FuzzDecodeBatch:
// STROM_WRITE_SEEDS=1 go test -run TestWriteQuotaFuzzSeeds ./internal/metadata/
func TestWriteQuotaFuzzSeeds(t *testing.T) {
	if os.Getenv("STROM_WRITE_SEEDS") == "" {
		t.Skip("set STROM_WRITE_SEEDS=1 to regenerate")
	}
	seeds := map[string][]Record{
		"client-quota-set":      {quotaRec("producer_byte_rate", 102400, userPart("alice"), defaultClient)},
		"client-quota-remove":   {&ClientQuotaRecord{Entity: []QuotaEntityData{defaultUser}, Key: "request_percentage", Remove: true}},
		"client-quota-dup-type": {quotaRec("consumer_byte_rate", 5, clientPart("a"), clientPart("b"))},
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecodeBatch")
	for name, recs := range seeds {
		content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", EncodeBatch(recs))
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
