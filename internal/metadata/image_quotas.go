package metadata

import (
	"cmp"
	"slices"
)

// Client quota entity types, as Kafka names them (ClientQuotaEntity).
const (
	QuotaUser     = "user"
	QuotaClientID = "client-id"
	QuotaIP       = "ip"
)

// QuotaName is one part of a QuotaEntity. The zero value is "absent".
type QuotaName struct {
	Set     bool   // the entity has a part of this type
	Default bool   // the default entity of the type (a null name on the wire)
	Name    string // when Set and not Default
}

// QuotaEntity is what a client quota applies to: a user, a client id, both,
// or an IP address, each possibly the default entity of its type. It is
// comparable and keys Image.ClientQuotas.
type QuotaEntity struct {
	User, ClientID, IP QuotaName
}

// Named returns the part naming name.
func Named(name string) QuotaName { return QuotaName{Set: true, Name: name} }

// DefaultName returns the default part.
func DefaultName() QuotaName { return QuotaName{Set: true, Default: true} }

// QuotaEntityFrom converts the parts of a record or request to an entity.
// ok is false for an empty list, an unknown type or a type given twice.
func QuotaEntityFrom(parts []QuotaEntityData) (e QuotaEntity, ok bool) {
	if len(parts) == 0 {
		return e, false
	}
	for _, p := range parts {
		n := e.part(p.Type)
		if n == nil || n.Set {
			return e, false
		}
		n.Set = true
		if p.Name == nil {
			n.Default = true
		} else {
			n.Name = *p.Name
		}
	}
	return e, true
}

func (e *QuotaEntity) part(typ string) *QuotaName {
	switch typ {
	case QuotaUser:
		return &e.User
	case QuotaClientID:
		return &e.ClientID
	case QuotaIP:
		return &e.IP
	}
	return nil
}

// Data returns the entity's parts in Kafka's order (user, client-id, ip).
func (e QuotaEntity) Data() []QuotaEntityData {
	var out []QuotaEntityData
	for _, p := range []struct {
		typ string
		n   QuotaName
	}{{QuotaUser, e.User}, {QuotaClientID, e.ClientID}, {QuotaIP, e.IP}} {
		if !p.n.Set {
			continue
		}
		d := QuotaEntityData{Type: p.typ}
		if !p.n.Default {
			name := p.n.Name
			d.Name = &name
		}
		out = append(out, d)
	}
	return out
}

// compareQuotaEntity orders entities for snapshots: by user, client id, IP.
func compareQuotaEntity(a, b QuotaEntity) int {
	part := func(x, y QuotaName) int {
		return cmp.Or(compareBool(x.Set, y.Set), compareBool(x.Default, y.Default), cmp.Compare(x.Name, y.Name))
	}
	return cmp.Or(part(a.User, b.User), part(a.ClientID, b.ClientID), part(a.IP, b.IP))
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// clientQuota applies a ClientQuotaRecord. Removing a key that is not set
// is a no-op, as in Kafka; an entity whose last key goes is dropped.
func (b *builder) clientQuota(r *ClientQuotaRecord) error {
	e, ok := QuotaEntityFrom(r.Entity)
	if !ok {
		return invalid("client quota entity %v is empty, repeats a type or has an unknown one", r.Entity)
	}
	if !b.quotasCopied {
		b.next.ClientQuotas = cloneMap(b.next.ClientQuotas)
		b.ownQuotas = map[QuotaEntity]bool{}
		b.quotasCopied = true
	}
	m := b.next.ClientQuotas[e]
	if !b.ownQuotas[e] {
		m = cloneMap(m)
		b.ownQuotas[e] = true
	}
	if r.Remove {
		delete(m, r.Key)
	} else {
		m[r.Key] = r.Value
	}
	if len(m) == 0 {
		delete(b.next.ClientQuotas, e)
		delete(b.ownQuotas, e)
		return nil
	}
	b.next.ClientQuotas[e] = m
	return nil
}

// quotaRecords returns the ClientQuotaRecords that rebuild im's client
// quotas, sorted by entity and key.
func (im *Image) quotaRecords() []Record {
	entities := make([]QuotaEntity, 0, len(im.ClientQuotas))
	for e := range im.ClientQuotas {
		entities = append(entities, e)
	}
	slices.SortFunc(entities, compareQuotaEntity)
	var recs []Record
	for _, e := range entities {
		m := im.ClientQuotas[e]
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			recs = append(recs, &ClientQuotaRecord{Entity: e.Data(), Key: k, Value: m[k]})
		}
	}
	return recs
}
