package controller

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/strom-project/strom/internal/metadata"
)

func TestAlterClientQuotas(t *testing.T) {
	c := start(t, testOptions(t.TempDir()))
	ctx := context.Background()
	name := func(s string) *string { return &s }
	slow := []metadata.QuotaEntityData{{Type: metadata.QuotaClientID, Name: name("slow")}}
	alice := []metadata.QuotaEntityData{{Type: metadata.QuotaUser, Name: name("alice")}, {Type: metadata.QuotaClientID}}
	set := func(k string, v float64) QuotaOp { return QuotaOp{Key: k, Value: v} }
	slowE := metadata.QuotaEntity{ClientID: metadata.Named("slow")}
	aliceE := metadata.QuotaEntity{User: metadata.Named("alice"), ClientID: metadata.DefaultName()}
	for _, tc := range []struct {
		name     string
		alts     []QuotaAlteration
		validate bool
		wantErrs []error
		wantMsg  string // of the first error
		want     map[metadata.QuotaEntity]map[string]float64
	}{
		{name: "set two entities", alts: []QuotaAlteration{
			{Entity: slow, Ops: []QuotaOp{set("producer_byte_rate", 102400)}},
			{Entity: alice, Ops: []QuotaOp{set("request_percentage", 12.5), set("consumer_byte_rate", 5)}}},
			wantErrs: []error{nil, nil},
			want: map[metadata.QuotaEntity]map[string]float64{slowE: {"producer_byte_rate": 102400},
				aliceE: {"request_percentage": 12.5, "consumer_byte_rate": 5}}},
		{name: "validate only", validate: true, alts: []QuotaAlteration{{Entity: slow, Ops: []QuotaOp{{Key: "producer_byte_rate", Remove: true}}}},
			wantErrs: []error{nil},
			want: map[metadata.QuotaEntity]map[string]float64{slowE: {"producer_byte_rate": 102400},
				aliceE: {"request_percentage": 12.5, "consumer_byte_rate": 5}}},
		{name: "remove and ignore unset", alts: []QuotaAlteration{{Entity: slow, Ops: []QuotaOp{{Key: "producer_byte_rate", Remove: true},
			{Key: "consumer_byte_rate", Remove: true}}}},
			wantErrs: []error{nil},
			want:     map[metadata.QuotaEntity]map[string]float64{aliceE: {"request_percentage": 12.5, "consumer_byte_rate": 5}}},
		{name: "fractional long", alts: []QuotaAlteration{{Entity: slow, Ops: []QuotaOp{set("producer_byte_rate", 1.5)}}},
			wantErrs: []error{ErrInvalidRequest}, wantMsg: "producer_byte_rate cannot be a fractional value."},
		{name: "not positive", alts: []QuotaAlteration{{Entity: slow, Ops: []QuotaOp{set("request_percentage", 0)}}},
			wantErrs: []error{ErrInvalidRequest}, wantMsg: "Quota request_percentage must be greater than 0"},
		{name: "unknown key", alts: []QuotaAlteration{{Entity: slow, Ops: []QuotaOp{set("connection_creation_rate", 1)}}},
			wantErrs: []error{ErrInvalidRequest}, wantMsg: "Invalid configuration key connection_creation_rate"},
		{name: "duplicate key", alts: []QuotaAlteration{{Entity: slow, Ops: []QuotaOp{set("producer_byte_rate", 1), set("producer_byte_rate", 2)}}},
			wantErrs: []error{ErrInvalidRequest}, wantMsg: "Duplicate quota key producer_byte_rate not updating quota for this entity ClientQuotaEntity(entries={client-id=slow})"},
		{name: "duplicate entity", alts: []QuotaAlteration{{Entity: slow, Ops: []QuotaOp{set("producer_byte_rate", 1)}},
			{Entity: slow, Ops: []QuotaOp{set("consumer_byte_rate", 1)}}},
			wantErrs: []error{ErrInvalidRequest, ErrInvalidRequest}, wantMsg: "Ignoring duplicate entity ClientQuotaEntity(entries={client-id=slow})"},
		{name: "empty entity", alts: []QuotaAlteration{{Ops: []QuotaOp{set("producer_byte_rate", 1)}}},
			wantErrs: []error{ErrInvalidRequest}, wantMsg: "Invalid empty client quota entity"},
		{name: "empty name", alts: []QuotaAlteration{{Entity: []metadata.QuotaEntityData{{Type: metadata.QuotaUser, Name: name("")}},
			Ops: []QuotaOp{set("producer_byte_rate", 1)}}},
			wantErrs: []error{ErrInvalidRequest}, wantMsg: "Empty user not supported"},
		{name: "ip refused", alts: []QuotaAlteration{{Entity: []metadata.QuotaEntityData{{Type: metadata.QuotaIP}},
			Ops: []QuotaOp{set("connection_creation_rate", 1)}}},
			wantErrs: []error{ErrInvalidRequest}, wantMsg: "IP quota entities (connection_creation_rate) are not supported by Strom"},
		{name: "unknown type", alts: []QuotaAlteration{{Entity: []metadata.QuotaEntityData{{Type: "group"}},
			Ops: []QuotaOp{set("producer_byte_rate", 1)}}},
			wantErrs: []error{ErrUnsupportedQuotaEntity}, wantMsg: "Unhandled client quota entity type: group"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := c.Image().ClientQuotas
			errs := c.AlterClientQuotas(ctx, tc.alts, tc.validate)
			for i, want := range tc.wantErrs {
				if !errors.Is(errs[i], want) || (want == nil && errs[i] != nil) {
					t.Fatalf("entry %d: err %v, want %v", i, errs[i], want)
				}
			}
			if tc.wantMsg != "" && !strings.HasSuffix(errs[0].Error(), ": "+tc.wantMsg) {
				t.Errorf("message %q, want %q", errs[0], tc.wantMsg)
			}
			want := tc.want
			if want == nil {
				want = before
			}
			if d := cmp.Diff(want, c.Image().ClientQuotas); d != "" {
				t.Fatalf("quotas (-want +got):\n%s", d)
			}
		})
	}
}
