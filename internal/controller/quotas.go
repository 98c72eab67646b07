package controller

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/strom-project/strom/internal/metadata"
)

// ErrUnsupportedQuotaEntity refuses a client quota entity type Kafka does
// not know (UNSUPPORTED_VERSION, as in Kafka's ClientQuotaControlManager).
var ErrUnsupportedQuotaEntity = errors.New("controller: unsupported client quota entity type") // UNSUPPORTED_VERSION

// QuotaAlteration is one entry of an AlterClientQuotas request.
type QuotaAlteration struct {
	Entity []metadata.QuotaEntityData
	Ops    []QuotaOp
}

// QuotaOp sets Key to Value, or removes it.
type QuotaOp struct {
	Key    string
	Value  float64
	Remove bool
}

// quotaKeyType is the config type of a quota key, which bounds its values.
type quotaKeyType int8

const (
	quotaLong   quotaKeyType = 1
	quotaDouble quotaKeyType = 2
)

// Quota keys valid for user and client-id entities (Kafka's QuotaConfig
// user/client configs). controller_mutation_rate is stored for Kafka
// tooling but not enforced (Strom has no controller mutation quota yet).
var quotaKeys = map[string]quotaKeyType{
	"producer_byte_rate":       quotaLong,
	"consumer_byte_rate":       quotaLong,
	"request_percentage":       quotaDouble,
	"controller_mutation_rate": quotaDouble,
}

// AlterClientQuotas changes client quotas (Kafka's
// ClientQuotaControlManager): each entry is validated against the image,
// and the changes of every valid entry commit as one metadata entry of
// ClientQuotaRecords; validateOnly stops before that. Results are in
// request order; each Err wraps ErrInvalidRequest or
// ErrUnsupportedQuotaEntity, or is a whole-request error (ErrNotController,
// a done ctx). An entity named twice is refused both times.
func (c *Controller) AlterClientQuotas(ctx context.Context, alts []QuotaAlteration, validateOnly bool) []error {
	return c.batchWrite(ctx, len(alts), validateOnly, func(im *metadata.Image) itemBuilder {
		seen := map[metadata.QuotaEntity]int{}
		for _, a := range alts {
			if e, ok := metadata.QuotaEntityFrom(a.Entity); ok {
				seen[e]++
			}
		}
		return func(i, _ int) ([]metadata.Record, error) {
			a := alts[i]
			if e, valid := metadata.QuotaEntityFrom(a.Entity); valid && seen[e] > 1 {
				return nil, fmt.Errorf("%w: Ignoring duplicate entity %s", ErrInvalidRequest, entityString(a.Entity))
			}
			return quotaRecords(im, a)
		}
	})
}

// quotaRecords validates one entry and returns the records it writes: only
// actual changes (a removal of an unset key writes nothing).
func quotaRecords(im *metadata.Image, a QuotaAlteration) ([]metadata.Record, error) {
	e, err := validateQuotaEntity(a.Entity)
	if err != nil {
		return nil, err
	}
	keys := map[string]bool{}
	for _, op := range a.Ops {
		if keys[op.Key] {
			return nil, fmt.Errorf("%w: Duplicate quota key %s not updating quota for this entity %s",
				ErrInvalidRequest, op.Key, entityString(a.Entity))
		}
		keys[op.Key] = true
	}
	cur := im.ClientQuotas[e]
	var recs []metadata.Record
	for _, op := range a.Ops {
		old, had := cur[op.Key]
		if op.Remove {
			if had {
				recs = append(recs, &metadata.ClientQuotaRecord{Entity: e.Data(), Key: op.Key, Remove: true})
			}
			continue
		}
		if err := validateQuotaValue(op.Key, op.Value); err != nil {
			return nil, err
		}
		if !had || old != op.Value {
			recs = append(recs, &metadata.ClientQuotaRecord{Entity: e.Data(), Key: op.Key, Value: op.Value})
		}
	}
	return recs, nil
}

// validateQuotaEntity is Kafka's validateEntity and
// configKeysForEntityType; IP entities are refused, Strom does not
// enforce connection_creation_rate.
func validateQuotaEntity(parts []metadata.QuotaEntityData) (metadata.QuotaEntity, error) {
	if len(parts) == 0 {
		return metadata.QuotaEntity{}, fmt.Errorf("%w: Invalid empty client quota entity", ErrInvalidRequest)
	}
	seen := map[string]bool{}
	for _, p := range parts {
		if seen[p.Type] {
			return metadata.QuotaEntity{}, fmt.Errorf("%w: Invalid empty client quota entity, duplicate entity entry %s", ErrInvalidRequest, p.Type)
		}
		seen[p.Type] = true
		switch p.Type {
		case metadata.QuotaUser, metadata.QuotaClientID:
		case metadata.QuotaIP:
			return metadata.QuotaEntity{}, fmt.Errorf("%w: IP quota entities (connection_creation_rate) are not supported by Strom", ErrInvalidRequest)
		default:
			return metadata.QuotaEntity{}, fmt.Errorf("%w: Unhandled client quota entity type: %s", ErrUnsupportedQuotaEntity, p.Type)
		}
		if p.Name != nil && *p.Name == "" {
			return metadata.QuotaEntity{}, fmt.Errorf("%w: Empty %s not supported", ErrInvalidRequest, p.Type)
		}
	}
	e, _ := metadata.QuotaEntityFrom(parts)
	return e, nil
}

// validateQuotaValue is Kafka's validateQuotaKeyValue.
func validateQuotaValue(key string, v float64) error {
	typ, ok := quotaKeys[key]
	switch {
	case !ok:
		return fmt.Errorf("%w: Invalid configuration key %s", ErrInvalidRequest, key)
	case !(v > 0) || math.IsInf(v, 0):
		// !(v > 0) also refuses NaN, which Kafka's "value <= 0" lets by.
		return fmt.Errorf("%w: Quota %s must be greater than 0", ErrInvalidRequest, key)
	case typ == quotaLong && v > math.MaxInt64:
		return fmt.Errorf("%w: Proposed value for %s is too large for a LONG.", ErrInvalidRequest, key)
	case typ == quotaLong && v != math.Floor(v):
		return fmt.Errorf("%w: %s cannot be a fractional value.", ErrInvalidRequest, key)
	}
	return nil
}

// entityString formats an entity as Kafka's ClientQuotaEntity.toString.
func entityString(parts []metadata.QuotaEntityData) string {
	var b strings.Builder
	b.WriteString("ClientQuotaEntity(entries={")
	for i, p := range parts {
		if i > 0 {
			b.WriteString(", ")
		}
		name := "null"
		if p.Name != nil {
			name = *p.Name
		}
		fmt.Fprintf(&b, "%s=%s", p.Type, name)
	}
	b.WriteString("})")
	return b.String()
}
